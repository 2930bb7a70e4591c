import { isAgentError } from '../errors';

/**
 * Error codes that retrying cannot fix until someone changes AWS or local configuration:
 * CreateSession's 403 / 400 / 404 and the client's own configuration errors. They get the long
 * backoff, so a fleet with a revoked CA or a deleted profile does not hammer CreateSession.
 * THROTTLED and network errors stay transient: the normal backoff is the right answer to them.
 */
export const PERMANENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ACCESS_DENIED',
  'VALIDATION',
  'RESOURCE_NOT_FOUND',
  'INVALID_ARN',
  'INVALID_REGION',
  'INVALID_ENDPOINT',
  'INVALID_PROXY',
]);

export function isPermanentError(error: unknown): boolean {
  return isAgentError(error) && PERMANENT_ERROR_CODES.has(error.code);
}
