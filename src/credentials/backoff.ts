/**
 * Bounded exponential backoff with full jitter: the n-th consecutive failure waits a random
 * time in [floorMs, min(capMs, baseMs * 2^(n-1))]. Full jitter keeps a fleet that failed
 * together (an outage, a revoked CA) from retrying together.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** Lower bound of every wait; 0 is plain full jitter. */
  floorMs: number;
}

/** Network errors, throttling, 5xx: retry soon, then less and less often. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000, floorMs: 0 };

/**
 * Errors a retry will not fix until someone changes a trust anchor, profile or role: wait at
 * least 30 s, at most 15 minutes, so a long-running agent recovers on its own once fixed
 * without hammering CreateSession meanwhile.
 */
export const DEFAULT_PERMANENT_BACKOFF: BackoffPolicy = {
  baseMs: 60_000,
  capMs: 15 * 60_000,
  floorMs: 30_000,
};

/** Milliseconds to wait after the `failures`-th consecutive failure (1-based). */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: number): number {
  const exponent = Math.min(Math.max(0, failures - 1), 52);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  const floor = Math.min(policy.floorMs, ceiling);
  const r = Number.isFinite(random) ? Math.min(1, Math.max(0, random)) : 0;
  return Math.round(floor + r * (ceiling - floor));
}
