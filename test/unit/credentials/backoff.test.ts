import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, DEFAULT_PERMANENT_BACKOFF } from '../../../src/credentials/backoff';
import { isPermanentError } from '../../../src/credentials/permanent-error';
import { AgentError } from '../../../src/errors';

describe('backoffDelay', () => {
  it('doubles the ceiling per failure up to the cap (random 1 = the ceiling)', () => {
    const policy = { baseMs: 1_000, capMs: 10_000, floorMs: 0 };
    expect([1, 2, 3, 4, 5, 6, 100].map((n) => backoffDelay(n, policy, 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000,
    ]);
  });

  it('is full jitter: random 0 waits the floor, random 0.5 half way', () => {
    const policy = { baseMs: 1_000, capMs: 10_000, floorMs: 0 };
    expect(backoffDelay(4, policy, 0)).toBe(0);
    expect(backoffDelay(4, policy, 0.5)).toBe(4_000);
    expect(backoffDelay(4, { ...policy, floorMs: 2_000 }, 0)).toBe(2_000);
    expect(backoffDelay(4, { ...policy, floorMs: 2_000 }, 0.5)).toBe(5_000);
  });

  it('stays bounded for huge failure counts and odd random values', () => {
    expect(backoffDelay(1e9, DEFAULT_BACKOFF, 1)).toBe(DEFAULT_BACKOFF.capMs);
    expect(backoffDelay(3, DEFAULT_BACKOFF, Number.NaN)).toBe(0);
    expect(backoffDelay(3, DEFAULT_BACKOFF, 5)).toBe(4_000);
    expect(backoffDelay(0, DEFAULT_BACKOFF, 1)).toBe(1_000);
  });

  it('makes permanent errors wait at least 30 s and at most 15 minutes', () => {
    expect(backoffDelay(1, DEFAULT_PERMANENT_BACKOFF, 0)).toBe(30_000);
    expect(backoffDelay(1, DEFAULT_PERMANENT_BACKOFF, 1)).toBe(60_000);
    expect(backoffDelay(50, DEFAULT_PERMANENT_BACKOFF, 1)).toBe(15 * 60_000);
  });
});

describe('isPermanentError', () => {
  it('is true for 403/400/404-type codes and configuration errors only', () => {
    for (const code of ['ACCESS_DENIED', 'VALIDATION', 'RESOURCE_NOT_FOUND', 'INVALID_ARN']) {
      expect(isPermanentError(new AgentError(code, 'x'))).toBe(true);
    }
    for (const code of ['THROTTLED', 'SERVICE_ERROR', 'ENDPOINT_UNREACHABLE', 'ENDPOINT_TIMEOUT']) {
      expect(isPermanentError(new AgentError(code, 'x'))).toBe(false);
    }
    expect(isPermanentError(Object.assign(new Error('x'), { code: 'ACCESS_DENIED' }))).toBe(false);
    expect(isPermanentError('ACCESS_DENIED')).toBe(false);
  });
});
