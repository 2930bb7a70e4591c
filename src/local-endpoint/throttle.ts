export interface TokenBucket {
  /** Takes one token; false when none is left (the caller answers 429). */
  take(): boolean;
}

/**
 * A token bucket refilled at `ratePerSecond`, holding at most `burst` tokens (default: one
 * second's worth), like the Roles Anywhere quota of 10 CreateSession a second. A rate of 0 or
 * less turns throttling off.
 */
export function createTokenBucket(
  ratePerSecond: number,
  now: () => number,
  burst = Math.max(1, ratePerSecond),
): TokenBucket {
  if (!(ratePerSecond > 0)) return { take: () => true };
  let tokens = burst;
  let last = now();
  return {
    take() {
      const current = now();
      tokens = Math.min(burst, tokens + ((current - last) / 1000) * ratePerSecond);
      last = current;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
