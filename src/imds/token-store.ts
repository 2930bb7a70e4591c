import { randomBytes } from 'node:crypto';

/** IMDSv2's bounds for X-aws-ec2-metadata-token-ttl-seconds. */
export const MIN_TOKEN_TTL_SECONDS = 1;
export const MAX_TOKEN_TTL_SECONDS = 21_600;

export interface TokenStoreOptions {
  /** Tokens kept at once; past it the one expiring first is dropped (a client loop cannot grow memory). */
  maxTokens?: number;
  /** The clock; tests pass their own. */
  now?: () => number;
}

export interface TokenStore {
  /** A new random token valid for `ttlSeconds` (already checked by parseTokenTtl). */
  issue(ttlSeconds: number): string;
  /** Whole seconds the token has left, or undefined when unknown or expired. */
  remainingSeconds(token: string): number | undefined;
  size(): number;
}

/**
 * Session tokens of the IMDSv2 protocol: random, remembered with their expiry, forgotten when
 * they expire. The map is purged on every issue, so expired tokens do not pile up.
 */
export function createTokenStore(options: TokenStoreOptions = {}): TokenStore {
  const maxTokens = options.maxTokens ?? 1024;
  const now = options.now ?? Date.now;
  const tokens = new Map<string, number>();

  function purge(at: number): void {
    for (const [token, expiresAt] of tokens) if (expiresAt <= at) tokens.delete(token);
    while (tokens.size >= maxTokens) {
      let earliest: string | undefined;
      let earliestAt = Number.POSITIVE_INFINITY;
      for (const [token, expiresAt] of tokens) {
        if (expiresAt < earliestAt) {
          earliest = token;
          earliestAt = expiresAt;
        }
      }
      if (earliest === undefined) break;
      tokens.delete(earliest);
    }
  }

  return {
    issue(ttlSeconds) {
      const at = now();
      purge(at);
      const token = randomBytes(32).toString('base64url');
      tokens.set(token, at + ttlSeconds * 1000);
      return token;
    },
    remainingSeconds(token) {
      const expiresAt = tokens.get(token);
      if (expiresAt === undefined) return undefined;
      const left = expiresAt - now();
      if (left <= 0) {
        tokens.delete(token);
        return undefined;
      }
      return Math.ceil(left / 1000);
    },
    size: () => tokens.size,
  };
}

/** The TTL header's value as IMDS accepts it (1..21600 decimal digits), else undefined. */
export function parseTokenTtl(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,5}$/.test(value.trim())) return undefined;
  const ttl = Number(value.trim());
  return ttl >= MIN_TOKEN_TTL_SECONDS && ttl <= MAX_TOKEN_TTL_SECONDS ? ttl : undefined;
}
