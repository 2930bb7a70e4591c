import { describe, expect, it } from 'vitest';
import { createSessionPool } from '../../../src/pkcs11/session-pool';

/** A pool over numbered fake sessions (plain numbers: this tests the pool, not PKCS#11). */
function numbered(size: number) {
  let next = 1;
  const closed: number[] = [];
  const pool = createSessionPool<number>({
    size,
    open: () => next++,
    close: (session) => closed.push(session),
  });
  return { pool, closed, openedCount: () => next - 1 };
}

describe('createSessionPool', () => {
  it('opens sessions lazily up to its size and reuses released ones', async () => {
    const { pool, openedCount } = numbered(2);
    expect(pool.opened).toBe(0);
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect([a, b]).toEqual([1, 2]);
    pool.release(a);
    expect(await pool.acquire()).toBe(1);
    expect(openedCount()).toBe(2);
  });

  it('makes callers beyond its size wait, served in order', async () => {
    const { pool } = numbered(1);
    const first = await pool.acquire();
    const order: string[] = [];
    const second = pool.acquire().then((session) => {
      order.push(`second:${session}`);
      return session;
    });
    const third = pool.acquire().then((session) => {
      order.push(`third:${session}`);
      return session;
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    pool.release(first);
    pool.release(await second);
    await third;
    expect(order).toEqual(['second:1', 'third:1']);
  });

  it('closes a broken session instead of reusing it', async () => {
    const { pool, closed } = numbered(1);
    const session = await pool.acquire();
    pool.release(session, true);
    expect(closed).toEqual([1]);
    expect(await pool.acquire()).toBe(2);
  });

  it('fails only the acquisition whose open throws', async () => {
    let fail = true;
    const pool = createSessionPool<number>({
      size: 1,
      open: () => {
        if (fail) throw new Error('CKR_TOKEN_NOT_PRESENT');
        return 7;
      },
      close: () => {},
    });
    await expect(pool.acquire()).rejects.toThrow('CKR_TOKEN_NOT_PRESENT');
    fail = false;
    expect(await pool.acquire()).toBe(7);
  });

  it('suspend waits for every session to come back, closes them, and holds acquisitions until resume', async () => {
    const { pool, closed } = numbered(2);
    const held = await pool.acquire();
    let suspended = false;
    const suspension = pool.suspend().then(() => {
      suspended = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(suspended).toBe(false);
    const waiting = pool.acquire();
    pool.release(held);
    await suspension;
    expect(closed).toEqual([1]);
    expect(pool.opened).toBe(0);
    let served = false;
    void waiting.then(() => {
      served = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(served).toBe(false);
    pool.resume();
    expect(await waiting).toBe(2);
  });

  it('close rejects waiting and later acquisitions, closes sessions once they are back, and is idempotent', async () => {
    const { pool, closed } = numbered(1);
    const held = await pool.acquire();
    const waiting = pool.acquire();
    const closing = pool.close();
    await expect(waiting).rejects.toMatchObject({ code: 'SIGNER_CLOSED' });
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'SIGNER_CLOSED' });
    pool.release(held);
    await closing;
    await pool.close();
    expect(closed).toEqual([1]);
  });

  it('grows but never shrinks', async () => {
    const { pool } = numbered(1);
    await pool.acquire();
    const waiting = pool.acquire();
    pool.grow(2);
    expect(await waiting).toBe(2);
    pool.grow(1);
    expect(pool.size).toBe(2);
  });
});

describe('createSessionPool at the module session limit', () => {
  const LIMIT_REACHED = new Error('CKR_SESSION_COUNT');

  /** A module that gives at most `limit` sessions, as a small HSM does. */
  function limited(limit: number, size: number) {
    let open = 0;
    let next = 1;
    const pool = createSessionPool<number>({
      size,
      open: () => {
        if (open >= limit) throw LIMIT_REACHED;
        open++;
        return next++;
      },
      close: () => {
        open--;
      },
      isSessionLimit: (error) => error === LIMIT_REACHED,
    });
    return pool;
  }

  it('makes the caller wait for an open session instead of failing, and stops growing there', async () => {
    const pool = limited(2, 8);
    const a = await pool.acquire();
    const b = await pool.acquire();
    let third: number | undefined;
    const waiting = pool.acquire().then((session) => {
      third = session;
      return session;
    });
    await Promise.resolve();
    expect(third).toBeUndefined();
    expect(pool.size).toBe(2);
    expect(pool.tryAcquire()).toBeUndefined();
    pool.release(a);
    expect(await waiting).toBe(a);
    pool.grow(16);
    expect(pool.size).toBe(2);
    pool.release(b);
  });

  it('still fails when the module gives no session at all', async () => {
    const pool = limited(0, 4);
    await expect(pool.acquire()).rejects.toBe(LIMIT_REACHED);
  });

  it('fails a waiter whose open fails for another reason', async () => {
    let fail = false;
    const pool = createSessionPool<number>({
      size: 2,
      open: () => {
        if (fail) throw new Error('CKR_DEVICE_ERROR');
        return 1;
      },
      close: () => {},
      isSessionLimit: () => false,
    });
    await pool.acquire();
    fail = true;
    await expect(pool.acquire()).rejects.toThrow('CKR_DEVICE_ERROR');
  });
});
