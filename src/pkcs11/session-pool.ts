import { AgentError } from '../errors';

export interface SessionPoolOptions<S> {
  /** Most sessions open at once. */
  size: number;
  /** Opens one session (synchronous, like C_OpenSession); a throw fails that acquire. */
  open: () => S;
  /** Closes one session; errors are ignored (the session may already be gone). */
  close: (session: S) => void;
}

/**
 * A bounded pool of sessions: a session is used by one operation at a time, callers beyond
 * `size` wait in order. `suspend` takes every session back (for a reconnect), `close` ends it.
 */
export interface SessionPool<S> {
  acquire(): Promise<S>;
  /** A session right away when one is free (no promise), else undefined; throws if opening one fails. */
  tryAcquire(): S | undefined;
  /** Gives a session back; `broken` closes it instead of reusing it. */
  release(session: S, broken?: boolean): void;
  /** Waits until every session is back and closes them; acquisitions wait until `resume`. */
  suspend(): Promise<void>;
  resume(): void;
  /** Like suspend, then refuses every waiting and future acquisition. Safe to call twice. */
  close(): Promise<void>;
  /** Raises the bound (never lowers it). */
  grow(size: number): void;
  readonly size: number;
  /** Sessions open now (idle or in use). */
  readonly opened: number;
}

interface Waiter<S> {
  resolve: (session: S) => void;
  reject: (error: unknown) => void;
}

export function createSessionPool<S>(options: SessionPoolOptions<S>): SessionPool<S> {
  let size = Math.max(1, Math.floor(options.size));
  const idle: S[] = [];
  const waiters: Waiter<S>[] = [];
  let leased = 0;
  let suspended = false;
  let closed = false;
  let onAllBack: (() => void) | undefined;

  const closedError = () =>
    new AgentError('SIGNER_CLOSED', 'the pkcs11 signer is closed', { hint: 'create a new signer' });
  const available = () => !suspended && !closed && (idle.length > 0 || leased + idle.length < size);

  function take(): S {
    const session = idle.pop() ?? options.open();
    leased++;
    return session;
  }

  function serve(): void {
    while (waiters.length > 0 && available()) {
      const waiter = waiters.shift() as Waiter<S>;
      try {
        waiter.resolve(take());
      } catch (error) {
        waiter.reject(error);
      }
    }
  }

  function closeIdle(): void {
    for (const session of idle.splice(0)) {
      try {
        options.close(session);
      } catch {
        // The session is gone with its token; nothing left to release.
      }
    }
  }

  async function allBack(): Promise<void> {
    if (leased === 0) return;
    await new Promise<void>((resolve) => {
      const previous = onAllBack;
      onAllBack = () => {
        previous?.();
        resolve();
      };
    });
  }

  return {
    acquire() {
      if (closed) return Promise.reject(closedError());
      if (waiters.length === 0 && available()) {
        try {
          return Promise.resolve(take());
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return new Promise<S>((resolve, reject) => {
        waiters.push({ resolve, reject });
      });
    },
    tryAcquire() {
      return waiters.length === 0 && available() ? take() : undefined;
    },
    release(session, broken = false) {
      leased--;
      if (broken) {
        try {
          options.close(session);
        } catch {
          // Already unusable.
        }
      } else {
        idle.push(session);
      }
      if (leased === 0 && onAllBack) {
        const notify = onAllBack;
        onAllBack = undefined;
        notify();
      }
      serve();
    },
    async suspend() {
      suspended = true;
      await allBack();
      closeIdle();
    },
    resume() {
      if (closed) return;
      suspended = false;
      serve();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const waiter of waiters.splice(0)) waiter.reject(closedError());
      await allBack();
      closeIdle();
    },
    grow(next) {
      size = Math.max(size, Math.floor(next));
      serve();
    },
    get size() {
      return size;
    },
    get opened() {
      return leased + idle.length;
    },
  };
}
