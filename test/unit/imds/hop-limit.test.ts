import { describe, expect, it } from 'vitest';
import { checkHopLimit, hopLimitWarning, systemHopLimit } from '../../../src/imds/hop-limit';

describe('hop limit', () => {
  it('accepts 1..255 only', () => {
    expect(checkHopLimit(1)).toBe(1);
    expect(checkHopLimit(255)).toBe(255);
    for (const bad of [0, 256, 1.5, Number.NaN]) {
      expect(() => checkHopLimit(bad)).toThrow(expect.objectContaining({ code: 'INVALID_HOP_LIMIT' }));
    }
  });

  it('warns only when the requested limit differs from what the kernel applies', () => {
    expect(hopLimitWarning(64, '127.0.0.1', 64)).toBeUndefined();
    expect(hopLimitWarning(1, '127.0.0.1', 64)).toMatch(/--hop-limit 1 cannot be applied.*IP_TTL.*\(64\)/);
    expect(hopLimitWarning(2, '::1', 64)).toMatch(/IPV6_UNICAST_HOPS/);
    expect(hopLimitWarning(2, '::1', undefined)).toMatch(/the system default$/);
  });

  it('reads the kernel default on Linux', () => {
    const value = systemHopLimit('127.0.0.1');
    expect(value === undefined || (value >= 1 && value <= 255)).toBe(true);
  });
});
