import { randomBytes } from 'node:crypto';
import { type BackoffPolicy, backoffDelay } from '../credentials/backoff';
import { AgentError, isAgentError } from '../errors';
import type { Digest, Signer } from '../signer/signer';

export type SignerState = 'opening' | 'ready' | 'unavailable' | 'closed';

/** What health and metrics show about a key; no secrets. */
export interface SignerStatus {
  state: SignerState;
  /** Consecutive failures (open or sign). */
  failures: number;
  lastError?: { code: string; message: string };
  /** No attempt before this time (undefined: whenever asked; never retried on its own for PIN errors). */
  retryAt?: Date;
  /** The key needs a config reload to be tried again (a wrong or missing PIN: retrying could lock it). */
  needsReload: boolean;
  /** Signatures made since start. */
  signatures: number;
}

export interface ManagedSigner {
  /** The open signer (opened on first use); fails fast with the last error while backing off. */
  signer(): Promise<Signer>;
  /** Signs through the open signer; a token failure puts it in backoff and fails fast until then. */
  sign(data: Uint8Array, digest?: Digest): Promise<Uint8Array>;
  status(): SignerStatus;
  /** A key was opened (it may be unavailable now): it holds sessions on its module. */
  opened(): boolean;
  close(): Promise<void>;
}

export interface ManagedSignerOptions {
  /** What the key is, for messages ("profile edge"). */
  label: string;
  backoff?: BackoffPolicy;
  /** Probe the key in the background: after a failure at the retry time, and every `checkMs` when idle. */
  background?: boolean;
  /** Idle liveness check period in ms; 0 = off. */
  checkMs?: number;
  now?: () => Date;
  random?: () => number;
  /** Called on each state change (for logs). */
  onChange?: (status: SignerStatus, error?: unknown) => void;
}

/** Token gone: retry soon, then less often (at most every 30 s) so a returning token is found quickly. */
export const TOKEN_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000, floorMs: 250 };

const MAX_TIMER_MS = 2 ** 31 - 1;

/** PIN problems are not retried on their own: each wrong try counts toward locking the token. */
function needsReload(error: unknown): boolean {
  return isAgentError(error) && error.code.startsWith('PIN_');
}

function describe(error: unknown): { code: string; message: string } {
  if (isAgentError(error)) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/**
 * A Signer that survives its token going away: opened on first use, re-opened after a failed
 * open, and put in backoff after a failed signature. While backing off, callers get the last
 * error at once (no PKCS#11 call, no reconnect storm); the first call after the backoff (or
 * the background probe) tries the token again, the PKCS#11 signer reconnecting underneath.
 */
export function createManagedSigner(
  open: () => Promise<Signer>,
  options: ManagedSignerOptions,
): ManagedSigner {
  const clock = options.now ?? (() => new Date());
  const now = () => clock().getTime();
  const random = options.random ?? Math.random;
  const policy = options.backoff ?? TOKEN_BACKOFF;
  let current: Signer | undefined;
  let opening: Promise<Signer> | undefined;
  /** A signature that tests the token after a failure; others wait for its outcome. */
  let probe: Promise<unknown> | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastError: unknown;
  let closed = false;
  let signatures = 0;
  let lastUse = now();
  let timer: NodeJS.Timeout | undefined;

  const status = (): SignerStatus => {
    const state: SignerState = closed
      ? 'closed'
      : failures > 0
        ? 'unavailable'
        : current
          ? 'ready'
          : 'opening';
    return {
      state,
      failures,
      ...(failures > 0 ? { lastError: describe(lastError) } : {}),
      ...(failures > 0 && Number.isFinite(retryAt) ? { retryAt: new Date(retryAt) } : {}),
      needsReload: failures > 0 && !Number.isFinite(retryAt),
      signatures,
    };
  };

  function closedError(): AgentError {
    return new AgentError(
      'SIGNER_CLOSED',
      `the key of ${options.label} was closed (config reload or shutdown)`,
      {
        hint: 'retry: the request reaches the reloaded profile',
      },
    );
  }

  function failed(error: unknown): void {
    failures += 1;
    lastError = error;
    retryAt = needsReload(error)
      ? Number.POSITIVE_INFINITY
      : now() + backoffDelay(failures, policy, random());
    options.onChange?.(status(), error);
    schedule();
  }

  function succeeded(): void {
    const wasFailing = failures > 0;
    failures = 0;
    retryAt = 0;
    lastError = undefined;
    if (wasFailing) options.onChange?.(status());
    schedule();
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!options.background || closed) return;
    let at: number;
    if (failures > 0) {
      if (!Number.isFinite(retryAt)) return;
      at = retryAt;
    } else if (current && options.checkMs) {
      at = lastUse + options.checkMs;
    } else {
      return;
    }
    timer = setTimeout(backgroundProbe, Math.min(MAX_TIMER_MS, Math.max(0, at - now())));
    timer.unref();
  }

  function backgroundProbe(): void {
    timer = undefined;
    if (closed) return;
    if (failures === 0 && current && options.checkMs && now() - lastUse < options.checkMs) {
      schedule(); // used meanwhile: that proved the token is there
      return;
    }
    // Timers run on the event loop's cached clock, which can lag the wall clock on a busy
    // machine: fired a little before retryAt, a probe would be refused as still backing off and
    // nothing would schedule the next one. Wait out the rest instead.
    if (backingOff()) {
      schedule();
      return;
    }
    sign(randomBytes(32)).catch(() => {}); // recorded by failed()
  }

  function openNow(): Promise<Signer> {
    opening ??= (async () => {
      try {
        const signer = await open();
        if (closed) {
          await signer.close();
          throw closedError();
        }
        current = signer;
        succeeded();
        return signer;
      } catch (error) {
        if (!closed) failed(error);
        throw error;
      } finally {
        opening = undefined;
      }
    })();
    return opening;
  }

  function backingOff(): boolean {
    return failures > 0 && now() < retryAt;
  }

  async function signer(): Promise<Signer> {
    if (closed) throw closedError();
    if (current) return current;
    if (opening) return opening;
    if (backingOff()) throw lastError;
    return openNow();
  }

  async function signWith(
    target: Signer,
    data: Uint8Array,
    digest: Digest,
    isProbe = false,
  ): Promise<Uint8Array> {
    try {
      const signature = await target.sign(data, digest);
      signatures += 1;
      lastUse = now();
      if (failures > 0) succeeded();
      return signature;
    } catch (error) {
      // One failure per outage, not one per request in flight: the backoff must stay short.
      if (!closed && (failures === 0 || isProbe)) failed(error);
      throw error;
    }
  }

  async function sign(data: Uint8Array, digest: Digest = 'SHA256'): Promise<Uint8Array> {
    const target = await signer();
    if (failures === 0) return signWith(target, data, digest);
    // Failing: one caller at a time tests the token once the backoff is over; the rest fail fast.
    if (probe) {
      await probe.catch(() => {});
      if (failures > 0) throw lastError;
      return signWith(target, data, digest);
    }
    if (backingOff()) throw lastError;
    const attempt = signWith(target, data, digest, true);
    probe = attempt;
    try {
      return await attempt;
    } finally {
      probe = undefined;
    }
  }

  return {
    signer,
    sign,
    status,
    opened: () => current !== undefined,
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const pending = opening;
      const open = current;
      current = undefined;
      if (open) await open.close();
      else if (pending) await pending.catch(() => {});
    },
  };
}
