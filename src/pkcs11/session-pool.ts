import { AgentError } from '../errors';

export interface SessionPoolOptions<S> {
  /** Most sessions open at once. */
  size: number;
  /** Opens one session (synchronous, like C_OpenSession); a throw fails that acquire. */
  open: () => S;
  /** Closes one session; errors are ignored (the session may already be gone). */
  close: (session: S) => void;
  /**
   * Whether an error of `open` says the module has no more sessions to give (CKR_SESSION_COUNT):
   * with sessions already open, the pool then stops growing there and the caller waits for one
   * of them, where it would fail.
   */
  isSessionLimit?: (error: unknown) => boolean;
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
  /** Raises the bound (never lowers it, nor raises it past a session limit the module reported). */
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
  let limit = Number.POSITIVE_INFINITY;
  const idle: S[] = [];
  const waiters: Waiter<S>[] = [];
  let leased = 0;
  let suspended = false;
  let closed = false;
  let onAllBack: (() => void) | undefined;

  const closedError = () =>
    new AgentError('SIGNER_CLOSED', 'the pkcs11 signer is closed', { hint: 'create a new signer' });
  const available = () => !suspended && !closed && (idle.length > 0 || leased + idle.length < size);

  /** A session, or undefined when the module just reported its limit (the bound is lowered to it). */
  function take(): S | undefined {
    let session = idle.pop();
    if (session === undefined) {
      try {
        session = options.open();
      } catch (error) {
        const opened = leased + idle.length;
        if (opened === 0 || !options.isSessionLimit?.(error)) throw error;
        limit = opened;
        size = Math.min(size, limit);
        return undefined;
      }
    }
    leased++;
    return session;
  }

  function serve(): void {
    while (waiters.length > 0 && available()) {
      let session: S | undefined;
      try {
        session = take();
      } catch (error) {
        (waiters.shift() as Waiter<S>).reject(error);
        continue;
      }
      if (session === undefined) return; // at the module's limit: the next release serves it
      (waiters.shift() as Waiter<S>).resolve(session);
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
          const session = take();
          if (session !== undefined) return Promise.resolve(session);
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
      size = Math.min(limit, Math.max(size, Math.floor(next)));
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
