import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCachedProvider, type RefreshFailure } from '../../../src/credentials/cached-provider';
import type { Credentials } from '../../../src/credentials/types';
import { AgentError } from '../../../src/errors';
import { makeTempDir } from '../../helpers/tmp';
import { runBundled, SRC } from './run-bundled';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function credentials(n: number, expiration: number): Credentials {
  return {
    accessKeyId: `ASIAEXAMPLE${n}`,
    secretAccessKey: `secret-${n}`,
    sessionToken: `token-${n}`,
    expiration: new Date(expiration),
  };
}

/** A clock the test moves by hand: the provider only ever sees the dates we pass. */
function manualClock(start = T0) {
  const clock = { t: start, now: () => new Date(clock.t) };
  return clock;
}

/** Lets queued promise callbacks and the fetch's microtasks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

/** A fetch whose results the test hands out one by one. */
function scriptedFetch() {
  const state = {
    calls: 0,
    pending: [] as Array<{ resolve: (c: Credentials) => void; reject: (e: unknown) => void }>,
  };
  const fetch = () => {
    state.calls += 1;
    return new Promise<Credentials>((resolve, reject) => state.pending.push({ resolve, reject }));
  };
  const next = () => {
    const waiting = state.pending.shift();
    if (!waiting) throw new Error('no fetch is waiting');
    return waiting;
  };
  return { state, fetch, next };
}

describe('createCachedProvider: single flight', () => {
  it('shares one fetch between 1000 concurrent callers', async () => {
    const clock = manualClock();
    const { state, fetch, next } = scriptedFetch();
    const provider = createCachedProvider(fetch, { now: clock.now, random: () => 0 });
    const callers = Array.from({ length: 1000 }, () => provider());
    await settle();
    expect(state.calls).toBe(1);
    next().resolve(credentials(1, T0 + HOUR));
    const results = await Promise.all(callers);
    expect(state.calls).toBe(1);
    expect(new Set(results.map((c) => c.accessKeyId))).toEqual(new Set(['ASIAEXAMPLE1']));
    expect(results.every((c) => c.secretAccessKey === 'secret-1' && c.sessionToken === 'token-1')).toBe(true);
  });

  it('gives all 1000 callers the one error of a failed fetch', async () => {
    const clock = manualClock();
    const { state, fetch, next } = scriptedFetch();
    const provider = createCachedProvider(fetch, { now: clock.now });
    const callers = Array.from({ length: 1000 }, () =>
      provider().then(
        () => 'resolved',
        (e: AgentError) => e.code,
      ),
    );
    await settle();
    next().reject(new AgentError('ENDPOINT_UNREACHABLE', 'cannot connect'));
    const outcomes = await Promise.all(callers);
    expect(state.calls).toBe(1);
    expect(new Set(outcomes)).toEqual(new Set(['ENDPOINT_UNREACHABLE']));
  });

  it('shares an in-flight fetch between refresh() and callers', async () => {
    const clock = manualClock();
    const { state, fetch, next } = scriptedFetch();
    const provider = createCachedProvider(fetch, { now: clock.now });
    const a = provider.refresh();
    const b = provider();
    const c = provider.refresh();
    await settle();
    expect(state.calls).toBe(1);
    next().resolve(credentials(1, T0 + HOUR));
    expect((await Promise.all([a, b, c])).map((x) => x.accessKeyId)).toEqual([
      'ASIAEXAMPLE1',
      'ASIAEXAMPLE1',
      'ASIAEXAMPLE1',
    ]);
    expect(state.calls).toBe(1);
  });
});

describe('createCachedProvider: serving and refreshing ahead', () => {
  it('serves from memory until the refresh point (50% of the lifetime with random 0)', async () => {
    const clock = manualClock();
    let calls = 0;
    const provider = createCachedProvider(async () => credentials(++calls, T0 + HOUR), {
      now: clock.now,
      random: () => 0,
    });
    expect((await provider()).accessKeyId).toBe('ASIAEXAMPLE1');
    for (const offset of [1, 10 * MINUTE, 30 * MINUTE - 1]) {
      clock.t = T0 + offset;
      expect((await provider()).accessKeyId).toBe('ASIAEXAMPLE1');
    }
    expect(calls).toBe(1);
    expect(provider.status().refreshAt?.getTime()).toBe(T0 + 30 * MINUTE);
  });

  it('refreshes in the background at the refresh point: the caller gets the cached set at once', async () => {
    const clock = manualClock();
    const { state, fetch, next } = scriptedFetch();
    const provider = createCachedProvider(fetch, { now: clock.now, random: () => 0 });
    const first = provider();
    await settle();
    next().resolve(credentials(1, T0 + HOUR));
    await first;

    clock.t = T0 + 30 * MINUTE;
    // The refresh fetch is still pending, yet the caller is answered.
    expect((await provider()).accessKeyId).toBe('ASIAEXAMPLE1');
    await settle();
    expect(state.calls).toBe(2);
    expect(provider.status().fetching).toBe(true);
    // More callers while that refresh is in flight: still served, no second refresh.
    for (let i = 0; i < 100; i += 1) expect((await provider()).accessKeyId).toBe('ASIAEXAMPLE1');
    expect(state.calls).toBe(2);

    next().resolve(credentials(2, T0 + 90 * MINUTE));
    await settle();
    expect((await provider()).accessKeyId).toBe('ASIAEXAMPLE2');
    expect(state.calls).toBe(2);
    expect(provider.status().refreshAt?.getTime()).toBe(T0 + 60 * MINUTE);
  });

  it('puts the refresh point at 75% of the lifetime with random 1', async () => {
    const clock = manualClock();
    let calls = 0;
    const provider = createCachedProvider(async () => credentials(++calls, T0 + HOUR), {
      now: clock.now,
      random: () => 1,
    });
    await provider();
    clock.t = T0 + 45 * MINUTE - 1;
    await provider();
    await settle();
    expect(calls).toBe(1);
    clock.t = T0 + 45 * MINUTE;
    await provider();
    await settle();
    expect(calls).toBe(2);
  });

  it('refreshes at least minAheadMs before expiry for short sessions', async () => {
    const clock = manualClock();
    const provider = createCachedProvider(async () => credentials(1, T0 + 15 * MINUTE), {
      now: clock.now,
      random: () => 1,
    });
    await provider();
    // 75% of 15 minutes is 11.25 minutes; 5 minutes before expiry comes first.
    expect(provider.status().refreshAt?.getTime()).toBe(T0 + 10 * MINUTE);
  });

  it('hands out copies: a caller mutating its credentials does not change the cache', async () => {
    const clock = manualClock();
    const provider = createCachedProvider(async () => credentials(1, T0 + HOUR), { now: clock.now });
    const got = await provider();
    got.secretAccessKey = 'changed';
    got.expiration.setTime(0);
    const again = await provider();
    expect(again.secretAccessKey).toBe('secret-1');
    expect(again.expiration.getTime()).toBe(T0 + HOUR);
  });

  it('peek() returns the cached set without fetching, and nothing before the first fetch', async () => {
    const clock = manualClock();
    let calls = 0;
    const provider = createCachedProvider(async () => credentials(++calls, T0 + HOUR), { now: clock.now });
    expect(provider.peek()).toBeUndefined();
    expect(calls).toBe(0);
    await provider();
    expect(provider.peek()?.accessKeyId).toBe('ASIAEXAMPLE1');
    clock.t = T0 + HOUR - MINUTE; // inside the 60 s safety margin
    expect(provider.peek()).toBeUndefined();
    expect(calls).toBe(1);
  });
});

describe('createCachedProvider: failures', () => {
  it('keeps serving the cached set while a refresh fails, retrying with growing backoff', async () => {
    const clock = manualClock();
    let calls = 0;
    const failures: RefreshFailure[] = [];
    const provider = createCachedProvider(
      async () => {
        calls += 1;
        if (calls === 1) return credentials(1, T0 + HOUR);
        throw new AgentError('ENDPOINT_UNREACHABLE', 'cannot connect to rolesanywhere');
      },
      {
        now: clock.now,
        random: () => 1, // the longest wait of each step: deterministic
        backoff: { baseMs: 1_000, capMs: 8_000, floorMs: 0 },
        onError: (_error, failure) => failures.push(failure),
      },
    );
    await provider();
    const t = T0 + 45 * MINUTE; // past the refresh point
    const attemptTimes: number[] = [];
    // Call every 100 ms of fake time for 40 s; count when fetches happen.
    for (let step = 0; step <= 400; step += 1) {
      clock.t = t + step * 100;
      const before = calls;
      expect((await provider()).accessKeyId).toBe('ASIAEXAMPLE1');
      await settle();
      if (calls > before) attemptTimes.push(clock.t - t);
    }
    // 1 s, 2 s, 4 s, then the 8 s cap.
    expect(attemptTimes).toEqual([0, 1_000, 3_000, 7_000, 15_000, 23_000, 31_000, 39_000]);
    expect(failures.map((f) => f.failures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(failures.every((f) => f.servingCached && !f.permanent)).toBe(true);
    expect(failures[0]?.cachedExpiration?.getTime()).toBe(T0 + HOUR);
    expect(provider.status().failures).toBe(8);
  });

  it('backs off much longer on a 403-type error, even with zero jitter', async () => {
    const clock = manualClock();
    let calls = 0;
    const provider = createCachedProvider(
      async () => {
        calls += 1;
        if (calls === 1) return credentials(1, T0 + HOUR);
        throw new AgentError('ACCESS_DENIED', 'untrusted certificate');
      },
      { now: clock.now, random: () => 0 },
    );
    await provider();
    const start = T0 + 45 * MINUTE;
    for (let ms = 0; ms < 30_000; ms += 250) {
      clock.t = start + ms;
      await provider();
      await settle();
    }
    expect(calls).toBe(2); // one failed attempt in 30 s
    expect(provider.status().retryAt?.getTime()).toBe(start + 30_000);
    clock.t = start + 30_000;
    await provider();
    await settle();
    expect(calls).toBe(3);
  });

  it('with zero jitter, retries a transient error at the next call (full jitter has no floor)', async () => {
    const clock = manualClock();
    let calls = 0;
    const provider = createCachedProvider(
      async () => {
        calls += 1;
        if (calls === 1) return credentials(1, T0 + HOUR);
        throw new AgentError('ENDPOINT_TIMEOUT', 'timed out');
      },
      { now: clock.now, random: () => 0 },
    );
    await provider();
    clock.t = T0 + 45 * MINUTE;
    await provider();
    await settle();
    await provider();
    await settle();
    expect(calls).toBe(3);
  });

  it('rejects with the error once the cached set is expired or nearly so, never with empty credentials', async () => {
    const clock = manualClock();
    let calls = 0;
    const provider = createCachedProvider(
      async () => {
        calls += 1;
        if (calls === 1) return credentials(1, T0 + HOUR);
        throw new AgentError('SERVICE_ERROR', 'rolesanywhere answered 503');
      },
      { now: clock.now, random: () => 0 },
    );
    await provider();
    clock.t = T0 + HOUR - 59_000; // 59 s left: below the 60 s margin
    await expect(provider()).rejects.toMatchObject({ code: 'SERVICE_ERROR' });
    expect(provider.peek()).toBeUndefined();
    clock.t = T0 + 2 * HOUR;
    await expect(provider()).rejects.toMatchObject({ code: 'SERVICE_ERROR' });
    expect(provider.status().expiration).toBeUndefined();
  });

  it('with nothing valid cached and a backoff running, rejects with the last error without calling again', async () => {
    const clock = manualClock();
    let calls = 0;
    const provider = createCachedProvider(
      async () => {
        calls += 1;
        if (calls < 3) throw new AgentError('ACCESS_DENIED', 'trust policy denied');
        return credentials(3, T0 + 2 * HOUR);
      },
      { now: clock.now, random: () => 0 },
    );
    await expect(provider()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    for (let i = 0; i < 1000; i += 1) {
      await expect(provider()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    }
    expect(calls).toBe(1);
    clock.t = T0 + 30_000; // the permanent backoff's floor has passed
    await expect(provider()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(calls).toBe(2);
    // refresh() is the explicit way around the backoff (e.g. after fixing the trust policy).
    expect((await provider.refresh()).accessKeyId).toBe('ASIAEXAMPLE3');
    expect(calls).toBe(3);
    expect(provider.status().failures).toBe(0);
  });

  it('refuses incomplete credentials from the fetch', async () => {
    const clock = manualClock();
    const incomplete = [
      { ...credentials(1, T0 + HOUR), accessKeyId: '' },
      { ...credentials(1, T0 + HOUR), secretAccessKey: '' },
      { ...credentials(1, T0 + HOUR), sessionToken: undefined },
      { ...credentials(1, T0 + HOUR), expiration: new Date(Number.NaN) },
      undefined,
    ];
    for (const value of incomplete) {
      const provider = createCachedProvider(async () => value as unknown as Credentials, { now: clock.now });
      await expect(provider()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
      expect(provider.peek()).toBeUndefined();
    }
  });

  it('refuses credentials that are already expired (a clock far ahead of AWS)', async () => {
    const clock = manualClock();
    const provider = createCachedProvider(async () => credentials(1, T0 + 30_000), { now: clock.now });
    await expect(provider()).rejects.toMatchObject({ code: 'CREDENTIALS_EXPIRED' });
  });

  it('survives an onError callback that throws', async () => {
    const clock = manualClock();
    const provider = createCachedProvider(
      async () => {
        throw new AgentError('SERVICE_ERROR', 'boom');
      },
      {
        now: clock.now,
        onError: () => {
          throw new Error('logger broke');
        },
      },
    );
    await expect(provider()).rejects.toMatchObject({ code: 'SERVICE_ERROR' });
  });

  it('rejects after close()', async () => {
    const clock = manualClock();
    const provider = createCachedProvider(async () => credentials(1, T0 + HOUR), { now: clock.now });
    await provider();
    provider.close();
    await expect(provider()).rejects.toMatchObject({ code: 'PROVIDER_CLOSED' });
    await expect(provider.refresh()).rejects.toMatchObject({ code: 'PROVIDER_CLOSED' });
    expect(provider.peek()).toBeUndefined();
  });
});

describe('createCachedProvider: what it reports', () => {
  it('passes no secret to onRefresh, onError or status()', async () => {
    const clock = manualClock();
    const reports: unknown[] = [];
    let calls = 0;
    const provider = createCachedProvider(
      async () => {
        calls += 1;
        if (calls === 1) return credentials(1, T0 + HOUR);
        throw new AgentError('SERVICE_ERROR', 'rolesanywhere answered 500');
      },
      {
        now: clock.now,
        random: () => 0,
        onRefresh: (info) => reports.push(info),
        onError: (error, info) => reports.push({ error, info }),
      },
    );
    await provider();
    reports.push(provider.status());
    clock.t = T0 + 40 * MINUTE;
    await provider();
    await settle();
    reports.push(provider.status());
    expect(reports).toHaveLength(4);
    const text = JSON.stringify(reports);
    expect(text).not.toContain('secret-1');
    expect(text).not.toContain('token-1');
    expect(reports[0]).toEqual({
      fetchedAt: new Date(T0),
      expiration: new Date(T0 + HOUR),
      refreshAt: new Date(T0 + 30 * MINUTE),
    });
    expect(reports[3]).toMatchObject({ failures: 1, fetching: false, expiration: new Date(T0 + HOUR) });
  });
});

describe('createCachedProvider: background timer (real time, short lifetimes)', () => {
  it('refreshes on its own ahead of expiry, and stops after close()', async () => {
    let calls = 0;
    const provider = createCachedProvider(async () => credentials(++calls, Date.now() + 300), {
      background: true,
      minRemainingMs: 0,
      refreshAhead: { minFraction: 0.5, maxFraction: 0.5, minAheadMs: 0, minIntervalMs: 0 },
    });
    await provider();
    await waitFor(() => calls >= 3, 5_000);
    expect((await provider()).accessKeyId).not.toBe('ASIAEXAMPLE1');
    provider.close();
    const atClose = calls;
    await sleep(400);
    expect(calls).toBeLessThanOrEqual(atClose + 1); // at most one fetch already in flight
    await expect(provider()).rejects.toMatchObject({ code: 'PROVIDER_CLOSED' });
  });

  it('retries failures in the background with bounded backoff while serving the cached set', async () => {
    let calls = 0;
    const provider = createCachedProvider(
      async () => {
        calls += 1;
        if (calls === 1) return credentials(1, Date.now() + 10 * MINUTE);
        throw new AgentError('ENDPOINT_UNREACHABLE', 'cannot connect');
      },
      {
        background: true,
        refreshAhead: { minFraction: 0, maxFraction: 0, minAheadMs: 0, minIntervalMs: 0 }, // refresh at once
        backoff: { baseMs: 20, capMs: 80, floorMs: 20 },
      },
    );
    await provider();
    const windowMs = 600;
    const start = Date.now();
    while (Date.now() - start < windowMs) {
      expect((await provider()).accessKeyId).toBe('ASIAEXAMPLE1');
      await sleep(10);
    }
    provider.close();
    const failed = calls - 1;
    // Every wait is 20..80 ms: at most 600/20 + 1 attempts; timers on a busy machine may run late.
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(failed).toBeLessThanOrEqual(windowMs / 20 + 1);
  });

  it('does not retry a 403-type error more than once in a short window, however often it is called', async () => {
    let calls = 0;
    const provider = createCachedProvider(
      async () => {
        calls += 1;
        if (calls === 1) return credentials(1, Date.now() + 10 * MINUTE);
        throw new AgentError('ACCESS_DENIED', 'certificate revoked');
      },
      { background: true, refreshAhead: { minFraction: 0, maxFraction: 0, minAheadMs: 0, minIntervalMs: 0 } },
    );
    await provider();
    const start = Date.now();
    while (Date.now() - start < 500) {
      for (let i = 0; i < 50; i += 1) await provider();
      await sleep(10);
    }
    provider.close();
    expect(calls).toBe(2);
    expect(provider.status().retryAt?.getTime()).toBeGreaterThanOrEqual(start + 29_000);
  });
});

describe('createCachedProvider: background timer does not keep a process alive', () => {
  const temps: Array<{ remove: () => void }> = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) dir.remove();
  });

  it('a process whose next refresh is 30+ minutes away exits as soon as its work is done', async () => {
    const dir = makeTempDir('ra-unref-');
    temps.push(dir);
    const script = `
      import { createCachedProvider } from ${JSON.stringify(join(SRC, 'credentials', 'cached-provider'))};
      const provider = createCachedProvider(
        async () => ({ accessKeyId: 'ASIAX', secretAccessKey: 's', sessionToken: 't',
                       expiration: new Date(Date.now() + 3600_000) }),
        { background: true },
      );
      const c = await provider();
      const status = provider.status();
      console.log(JSON.stringify({ id: c.accessKeyId, inMs: status.refreshAt.getTime() - Date.now() }));
    `;
    const result = await runBundled(dir.path, script, { timeoutMs: 15_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.id).toBe('ASIAX');
    expect(out.inMs).toBeGreaterThan(29 * 60_000); // a timer was due far in the future
    expect(result.elapsedMs).toBeLessThan(10_000);
  });
});
