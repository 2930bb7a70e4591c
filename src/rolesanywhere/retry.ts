import { AgentError } from '../errors';

export interface RetryOptions {
  /** Attempts in all, the first included (default 3; 1 turns retries off). */
  maxAttempts?: number;
  /** Backoff base in ms (default 100). */
  baseDelayMs?: number;
  /** Backoff cap in ms (default 3000). */
  maxDelayMs?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRIES: ResolvedRetryOptions = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 3000 };

export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const resolved = { ...DEFAULT_RETRIES, ...stripUndefined(options) };
  const { maxAttempts, baseDelayMs, maxDelayMs } = resolved;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 10) {
    throw new AgentError(
      'INVALID_OPTION',
      `retries.maxAttempts ${maxAttempts} is not an integer from 1 to 10`,
      {
        hint: 'use 1 for no retry, 3 (the default) for a few',
      },
    );
  }
  for (const [name, value] of [
    ['baseDelayMs', baseDelayMs],
    ['maxDelayMs', maxDelayMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 60_000) {
      throw new AgentError(
        'INVALID_OPTION',
        `retries.${name} ${value} is not a number of ms from 0 to 60000`,
        {
          hint: 'the defaults are 100 ms base and 3000 ms cap',
        },
      );
    }
  }
  return resolved;
}

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(cap, base * 2^(retry-1))),
 * so a fleet retrying after the same throttle spreads out instead of hitting again together.
 * `retry` counts from 1 (the wait before the second attempt).
 */
export function backoffDelay(
  retry: number,
  options: ResolvedRetryOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** Statuses worth another try: throttling and server faults. Other 4xx answers will not change. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
