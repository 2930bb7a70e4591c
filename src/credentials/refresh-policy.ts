/**
 * When to refresh a credential set ahead of its expiry.
 *
 * Default: at a random point between 50% and 75% of the lifetime, and in any case at least
 * 5 minutes before expiry. Why:
 * - relative to the lifetime, so it works for every session duration (900 s to 12 h);
 * - at 75% at the latest, a quarter of the lifetime (15 minutes of a 1 h session) is left for
 *   retries with backoff before anyone has to wait or sees an error;
 * - the random point spreads a fleet's CreateSession calls over a quarter of the lifetime, so
 *   hosts started together (a reboot wave) do not hit the 10 calls/s per-account quota together;
 * - the 5-minute floor matters for short sessions: the JS SDK refreshes credentials with less
 *   than 5 minutes left, so what we hand out should never be that close to expiry.
 */
export interface RefreshPolicy {
  /** Earliest refresh point, as a fraction of the lifetime (0..1). */
  minFraction: number;
  /** Latest refresh point, as a fraction of the lifetime (0..1). */
  maxFraction: number;
  /** Refresh at least this long before expiry, whatever the fractions say. */
  minAheadMs: number;
  /**
   * Never refresh sooner than this after a fetch: an endpoint that keeps issuing credentials
   * already inside the margin must not get a CreateSession loop. (AWS cannot: sessions last at
   * least 900 s and a clock more than 5 minutes off is refused.)
   */
  minIntervalMs: number;
}

export const DEFAULT_REFRESH_POLICY: RefreshPolicy = {
  minFraction: 0.5,
  maxFraction: 0.75,
  minAheadMs: 5 * 60_000,
  minIntervalMs: 5_000,
};

/**
 * The time (epoch ms) at which credentials fetched at `fetchedAt` and expiring at `expiration`
 * should be refreshed. `random` in [0, 1) picks the point inside the window. Never before
 * `policy.minIntervalMs` after `fetchedAt`, even when the lifetime is shorter than `minAheadMs`.
 */
export function refreshTime(
  fetchedAt: number,
  expiration: number,
  policy: RefreshPolicy,
  random: number,
): number {
  const lifetime = Math.max(0, expiration - fetchedAt);
  const low = Math.min(policy.minFraction, policy.maxFraction);
  const high = Math.max(policy.minFraction, policy.maxFraction);
  const fraction = low + clamp01(random) * (high - low);
  const byFraction = fetchedAt + lifetime * fraction;
  const byMargin = expiration - policy.minAheadMs;
  return Math.max(fetchedAt + policy.minIntervalMs, Math.min(byFraction, byMargin));
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
