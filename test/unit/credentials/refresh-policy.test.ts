import { describe, expect, it } from 'vitest';
import { DEFAULT_REFRESH_POLICY, refreshTime } from '../../../src/credentials/refresh-policy';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;

describe('refreshTime', () => {
  const cases: Array<[string, number, number, number]> = [
    // name, lifetime, random, expected offset from T0
    ['1 h, random 0: 50%', 60 * MINUTE, 0, 30 * MINUTE],
    ['1 h, random 0.5: 62.5%', 60 * MINUTE, 0.5, 37.5 * MINUTE],
    ['1 h, random 1: 75%', 60 * MINUTE, 1, 45 * MINUTE],
    ['12 h, random 1: 75%', 720 * MINUTE, 1, 540 * MINUTE],
    ['15 min, random 0: 50% (7.5 min)', 15 * MINUTE, 0, 7.5 * MINUTE],
    ['15 min, random 1: 5 min before expiry wins over 75%', 15 * MINUTE, 1, 10 * MINUTE],
    ['4 min (shorter than the margin): after the 5 s minimum interval', 4 * MINUTE, 0.5, 5_000],
    ['random out of range is clamped', 60 * MINUTE, 7, 45 * MINUTE],
    ['NaN random counts as 0', 60 * MINUTE, Number.NaN, 30 * MINUTE],
  ];
  for (const [name, lifetime, random, expected] of cases) {
    it(name, () => {
      expect(refreshTime(T0, T0 + lifetime, DEFAULT_REFRESH_POLICY, random)).toBe(T0 + expected);
    });
  }

  it('stays inside [50%, 75%] of a 1 h lifetime for any random value', () => {
    for (let i = 0; i <= 100; i += 1) {
      const at = refreshTime(T0, T0 + 60 * MINUTE, DEFAULT_REFRESH_POLICY, i / 100);
      expect(at).toBeGreaterThanOrEqual(T0 + 30 * MINUTE);
      expect(at).toBeLessThanOrEqual(T0 + 45 * MINUTE);
    }
  });

  it('honours a configured window and margin', () => {
    const policy = { minFraction: 0.8, maxFraction: 0.9, minAheadMs: 0, minIntervalMs: 0 };
    expect(refreshTime(T0, T0 + 100_000, policy, 0)).toBe(T0 + 80_000);
    expect(refreshTime(T0, T0 + 100_000, policy, 1)).toBe(T0 + 90_000);
    expect(refreshTime(T0, T0 + 100_000, { ...policy, minAheadMs: 50_000 }, 1)).toBe(T0 + 50_000);
  });

  it('never refreshes sooner than the minimum interval, even for already expired credentials (no loop)', () => {
    expect(refreshTime(T0, T0 - 1000, DEFAULT_REFRESH_POLICY, 0.3)).toBe(T0 + 5_000);
    expect(refreshTime(T0, T0 + 2 * MINUTE, DEFAULT_REFRESH_POLICY, 0)).toBe(T0 + 5_000);
    expect(refreshTime(T0, T0 - 1000, { ...DEFAULT_REFRESH_POLICY, minIntervalMs: 0 }, 0.3)).toBe(T0);
  });
});
