import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import {
  backoffDelay,
  DEFAULT_RETRIES,
  isRetryableStatus,
  resolveRetryOptions,
} from '../../../src/rolesanywhere/retry';

describe('backoffDelay (full jitter)', () => {
  it('spans [0, base * 2^(retry-1)) and stops growing at the cap', () => {
    const top = () => 0.999999;
    expect(backoffDelay(1, DEFAULT_RETRIES, top)).toBe(99);
    expect(backoffDelay(2, DEFAULT_RETRIES, top)).toBe(199);
    expect(backoffDelay(3, DEFAULT_RETRIES, top)).toBe(399);
    expect(backoffDelay(10, DEFAULT_RETRIES, top)).toBe(2999);
    expect(backoffDelay(50, DEFAULT_RETRIES, top)).toBe(2999);
    expect(backoffDelay(3, DEFAULT_RETRIES, () => 0)).toBe(0);
    expect(backoffDelay(3, DEFAULT_RETRIES, () => 0.5)).toBe(200);
  });

  it('spreads delays over the whole window with the real random source', () => {
    const delays = Array.from({ length: 400 }, () => backoffDelay(3, DEFAULT_RETRIES));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(400);
    expect(Math.min(...delays)).toBeLessThan(100);
    expect(Math.max(...delays)).toBeGreaterThan(300);
  });
});

describe('isRetryableStatus', () => {
  it('retries throttling and server faults only', () => {
    for (const status of [429, 500, 502, 503, 504, 599]) expect(isRetryableStatus(status)).toBe(true);
    for (const status of [200, 201, 301, 400, 401, 403, 404, 409, 413])
      expect(isRetryableStatus(status)).toBe(false);
  });
});

describe('resolveRetryOptions', () => {
  it('fills defaults and keeps what is given', () => {
    expect(resolveRetryOptions()).toEqual({ maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 3000 });
    expect(resolveRetryOptions({ maxAttempts: 1, baseDelayMs: undefined })).toEqual({
      maxAttempts: 1,
      baseDelayMs: 100,
      maxDelayMs: 3000,
    });
  });

  it('rejects nonsense', () => {
    for (const bad of [
      { maxAttempts: 0 },
      { maxAttempts: 1.5 },
      { maxAttempts: 11 },
      { baseDelayMs: -1 },
      { maxDelayMs: Number.NaN },
    ]) {
      expect(() => resolveRetryOptions(bad)).toThrow(AgentError);
    }
  });
});
