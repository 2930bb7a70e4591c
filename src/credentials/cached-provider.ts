import { AgentError } from '../errors';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, DEFAULT_PERMANENT_BACKOFF } from './backoff';
import { checkCredentials } from './check-credentials';
import { isPermanentError } from './permanent-error';
import { DEFAULT_REFRESH_POLICY, type RefreshPolicy, refreshTime } from './refresh-policy';
import type { Credentials, CredentialsProvider } from './types';

/** What a failed fetch did to the cache; passed to `onError` (never holds a secret). */
export interface RefreshFailure {
  /** Consecutive failures so far, this one included. */
  failures: number;
  /** The error was judged permanent (403-type): the long backoff applies. */
  permanent: boolean;
  /** No fetch starts before this time unless `refresh()` forces one. */
  retryAt: Date;
  /** Valid cached credentials are still being served. */
  servingCached: boolean;
  /** Expiry of the credentials still being served, if any. */
  cachedExpiration?: Date;
}

/** What a successful fetch put in the cache; passed to `onRefresh` (never holds a secret). */
export interface RefreshSuccess {
  fetchedAt: Date;
  expiration: Date;
  refreshAt: Date;
}

export interface CachedProviderOptions {
  /** When to refresh ahead of expiry (see refresh-policy.ts for the defaults and why). */
  refreshAhead?: Partial<RefreshPolicy>;
  /** Credentials with less validity than this are never served. Default 60 s. */
  minRemainingMs?: number;
  /** Backoff after transient failures (network, throttling, 5xx). */
  backoff?: Partial<BackoffPolicy>;
  /** Backoff after permanent failures (access denied, validation, not found). */
  permanentBackoff?: Partial<BackoffPolicy>;
  /** Which errors get `permanentBackoff`. Default: isPermanentError (by AgentError code). */
  isPermanent?: (error: unknown) => boolean;
  /**
   * Keep the credentials fresh with an unref'd timer (for update/serve/agent): after the first
   * fetch, fetch again at the refresh point, and retry failures at the backoff time.
   */
  background?: boolean;
  /** The clock; tests pass fixed dates. */
  now?: () => Date;
  /** Source of jitter in [0, 1). */
  random?: () => number;
  onError?: (error: unknown, failure: RefreshFailure) => void;
  onRefresh?: (success: RefreshSuccess) => void;
}

/** A snapshot for logs and metrics; no secrets. */
export interface ProviderStatus {
  fetchedAt?: Date;
  expiration?: Date;
  refreshAt?: Date;
  fetching: boolean;
  failures: number;
  retryAt?: Date;
  lastError?: unknown;
  closed: boolean;
}

export interface CachedProvider extends CredentialsProvider {
  /** Fetches now (sharing a fetch already in flight), ignoring the refresh point and backoff. */
  refresh(): Promise<Credentials>;
  /** The cached credentials if they may still be served; never fetches. */
  peek(): Credentials | undefined;
  status(): ProviderStatus;
  /** Stops the background timer; later calls reject with PROVIDER_CLOSED. */
  close(): void;
}

interface Entry {
  credentials: Readonly<Credentials>;
  fetchedAt: number;
  refreshAt: number;
}

/** setTimeout's longest delay; longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function copy(credentials: Readonly<Credentials>): Credentials {
  return { ...credentials, expiration: new Date(credentials.expiration.getTime()) };
}

/**
 * Wraps `fetch` (typically CreateSession) into a provider that:
 * - shares one fetch between all callers while it is in flight (single-flight);
 * - serves from memory while the credentials are valid, and refreshes ahead of expiry in the
 *   background, so callers wait only for the very first fetch or after an expiry;
 * - keeps serving the cached credentials while a refresh fails and they remain valid for at
 *   least `minRemainingMs`, and retries with bounded full-jitter backoff (longer for 403-type);
 * - never serves expired or incomplete credentials: with nothing valid cached the caller gets
 *   the error (during a backoff, the last error, without calling AWS again).
 */
export function createCachedProvider(
  fetch: CredentialsProvider,
  options: CachedProviderOptions = {},
): CachedProvider {
  const clock = options.now ?? (() => new Date());
  const now = () => clock().getTime();
  const random = options.random ?? Math.random;
  const refreshPolicy: RefreshPolicy = { ...DEFAULT_REFRESH_POLICY, ...options.refreshAhead };
  const minRemainingMs = options.minRemainingMs ?? 60_000;
  const transientBackoff: BackoffPolicy = { ...DEFAULT_BACKOFF, ...options.backoff };
  const permanentBackoff: BackoffPolicy = { ...DEFAULT_PERMANENT_BACKOFF, ...options.permanentBackoff };
  const isPermanent = options.isPermanent ?? isPermanentError;

  let cached: Entry | undefined;
  let inFlight: Promise<Readonly<Credentials>> | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastError: unknown;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function usable(at: number): Entry | undefined {
    if (cached && cached.credentials.expiration.getTime() - at > minRemainingMs) return cached;
    return undefined;
  }

  function accept(value: Credentials): Readonly<Credentials> {
    const checked = checkCredentials(value);
    const fetchedAt = now();
    const expiration = checked.expiration.getTime();
    if (expiration - fetchedAt <= minRemainingMs) {
      // Seen when the local clock is far ahead of AWS's: serving these would fail every call.
      throw new AgentError(
        'CREDENTIALS_EXPIRED',
        `the credential provider returned credentials that expire at ${checked.expiration.toISOString()}, too soon to use`,
        { hint: 'check the system clock (timedatectl) and the requested session duration' },
      );
    }
    const credentials = Object.freeze(copy(checked));
    const refreshAt = refreshTime(fetchedAt, expiration, refreshPolicy, random());
    cached = { credentials, fetchedAt, refreshAt };
    failures = 0;
    retryAt = 0;
    lastError = undefined;
    notify(() =>
      options.onRefresh?.({
        fetchedAt: new Date(fetchedAt),
        expiration: new Date(expiration),
        refreshAt: new Date(refreshAt),
      }),
    );
    return credentials;
  }

  function reject(error: unknown): never {
    const at = now();
    failures += 1;
    const permanent = isPermanent(error);
    retryAt = at + backoffDelay(failures, permanent ? permanentBackoff : transientBackoff, random());
    lastError = error;
    const serving = usable(at);
    if (!serving) cached = undefined;
    const failure: RefreshFailure = {
      failures,
      permanent,
      retryAt: new Date(retryAt),
      servingCached: !!serving,
    };
    if (serving) failure.cachedExpiration = new Date(serving.credentials.expiration.getTime());
    notify(() => options.onError?.(error, failure));
    throw error;
  }

  function start(): Promise<Readonly<Credentials>> {
    if (inFlight) return inFlight;
    // accept() throws too (incomplete or already-expired credentials): those are failures as well.
    const run = Promise.resolve().then(fetch).then(accept).catch(reject);
    inFlight = run;
    const settle = () => {
      inFlight = undefined;
      schedule();
    };
    run.then(settle, settle);
    return run;
  }

  function schedule(): void {
    if (!options.background || closed) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    const target = failures > 0 ? retryAt : cached?.refreshAt;
    if (target === undefined) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, target - now()));
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) start().catch(() => {}); // the failure is recorded and reported in reject()
    }, delay);
    timer.unref();
  }

  function closedError(): AgentError {
    return new AgentError('PROVIDER_CLOSED', 'the credential provider was used after it was closed', {
      hint: 'this is a bug in the caller: credentials were requested during or after shutdown',
    });
  }

  const provider = (async () => {
    if (closed) throw closedError();
    const at = now();
    const entry = usable(at);
    if (entry) {
      if (at >= entry.refreshAt && at >= retryAt && !inFlight) start().catch(() => {});
      return copy(entry.credentials);
    }
    cached = undefined;
    if (inFlight) return copy(await inFlight);
    if (failures > 0 && at < retryAt) throw lastError;
    return copy(await start());
  }) as CachedProvider;

  provider.refresh = async () => {
    if (closed) throw closedError();
    return copy(await start());
  };

  provider.peek = () => {
    const entry = closed ? undefined : usable(now());
    return entry ? copy(entry.credentials) : undefined;
  };

  provider.status = () => {
    const status: ProviderStatus = { fetching: !!inFlight, failures, closed };
    if (cached) {
      status.fetchedAt = new Date(cached.fetchedAt);
      status.expiration = new Date(cached.credentials.expiration.getTime());
      status.refreshAt = new Date(cached.refreshAt);
    }
    if (failures > 0) {
      status.retryAt = new Date(retryAt);
      status.lastError = lastError;
    }
    return status;
  };

  provider.close = () => {
    closed = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
  };

  return provider;
}

/** Runs a user callback; a throwing logger must not break the cache. */
function notify(callback: () => void): void {
  try {
    callback();
  } catch {
    // ignored on purpose
  }
}
