import { AgentError } from '../errors';
import type { Credentials } from './types';

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Throws unless `value` holds all four parts of a credential set. The Go helper hands out empty
 * credentials when CreateSession fails; an SDK then signs with nothing and fails much later
 * with a confusing error. Every output goes through this check instead.
 */
export function checkCredentials(value: unknown, source = 'the credential provider'): Credentials {
  const candidate = (value ?? {}) as Partial<Record<keyof Credentials, unknown>>;
  const missing: string[] = (['accessKeyId', 'secretAccessKey', 'sessionToken'] as const).filter(
    (name) => !nonEmptyString(candidate[name]),
  );
  const expiration = candidate.expiration;
  if (!(expiration instanceof Date) || Number.isNaN(expiration.getTime())) missing.push('expiration');
  if (missing.length > 0) {
    throw new AgentError(
      'INVALID_CREDENTIALS',
      `${source} returned incomplete credentials (missing ${missing.join(', ')})`,
      {
        hint: 'this is a bug in the provider or an unexpected CreateSession response; run with --debug and report it',
      },
    );
  }
  return candidate as Credentials;
}

/** Milliseconds of validity left at `now` (negative once expired). */
export function remainingMs(credentials: Credentials, now: Date): number {
  return credentials.expiration.getTime() - now.getTime();
}
