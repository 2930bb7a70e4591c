import { describe, expect, it } from 'vitest';
import { createTokenStore, parseTokenTtl } from '../../../src/imds/token-store';

describe('parseTokenTtl', () => {
  it.each([
    ['1', 1],
    ['21600', 21600],
    [' 300 ', 300],
  ])('accepts %j', (value, ttl) => {
    expect(parseTokenTtl(value)).toBe(ttl);
  });

  it.each([undefined, '', '0', '21601', '-5', '1.5', '1e3', 'abc', '999999', ['60', '60']])(
    'refuses %j',
    (value) => {
      expect(parseTokenTtl(value)).toBeUndefined();
    },
  );
});

describe('createTokenStore', () => {
  it('issues distinct random tokens that expire after their ttl', () => {
    const clock = { t: 1_000_000 };
    const store = createTokenStore({ now: () => clock.t });
    const a = store.issue(10);
    const b = store.issue(10);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.remainingSeconds(a)).toBe(10);
    clock.t += 9_500;
    expect(store.remainingSeconds(a)).toBe(1);
    clock.t += 500;
    expect(store.remainingSeconds(a)).toBeUndefined();
    expect(store.remainingSeconds('not-issued')).toBeUndefined();
  });

  it('forgets expired tokens and, when full, the one expiring first', () => {
    const clock = { t: 0 };
    const store = createTokenStore({ now: () => clock.t, maxTokens: 3 });
    const short = store.issue(1);
    const long = store.issue(100);
    clock.t = 2_000;
    store.issue(50); // purges `short`
    expect(store.size()).toBe(2);
    expect(store.remainingSeconds(short)).toBeUndefined();
    const mid = store.issue(60);
    expect(store.size()).toBe(3);
    store.issue(200); // full: drops the earliest expiry, which is the 50 s token
    expect(store.size()).toBe(3);
    expect(store.remainingSeconds(long)).toBe(98);
    expect(store.remainingSeconds(mid)).toBe(60);
  });

  it('stays bounded under a loop of token requests', () => {
    const store = createTokenStore({ maxTokens: 64 });
    for (let i = 0; i < 1000; i++) store.issue(21600);
    expect(store.size()).toBe(64);
  });
});
