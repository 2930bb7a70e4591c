import { hasQuery, headerValue, type RequestParts } from './request-parts';
import { parseSigV4Auth } from './sigv4-auth';

export type Route =
  | { kind: 'create-session' }
  | { kind: 'resources' }
  | { kind: 'sts' }
  | { kind: 's3' }
  | { kind: 'unsupported'; service: string };

const STS_TARGET_PREFIX = 'AWSSecurityTokenServiceV20110615.';

/**
 * Where a request goes, from its head alone (the body is read, or streamed, by the route):
 * POST /sessions is CreateSession, GET /_local/resources the resource list, and everything
 * else goes by the service in the SigV4 credential scope (header or presigned query).
 */
export function routeOf(request: Pick<RequestParts, 'method' | 'path' | 'query' | 'headers'>): Route {
  const parsed = parseSigV4Auth(request);
  const service =
    parsed.kind === 'sigv4' ? parsed.auth.service : parsed.kind === 'malformed' ? parsed.service : undefined;
  if (request.path === '/sessions' && request.method === 'POST' && service !== 's3' && service !== 'sts') {
    return { kind: 'create-session' };
  }
  if (request.path === '/_local/resources' && request.method === 'GET' && parsed.kind === 'none')
    return { kind: 'resources' };
  if (service === 'sts') return { kind: 'sts' };
  if (service === 's3') return { kind: 's3' };
  if (service !== undefined) return { kind: 'unsupported', service };
  // Unsigned or unreadable: guess the protocol from the request's shape, so the error is in it.
  const target = headerValue(request.headers, 'x-amz-target') ?? '';
  const contentType = headerValue(request.headers, 'content-type') ?? '';
  if (target.startsWith(STS_TARGET_PREFIX)) return { kind: 'sts' };
  if (
    request.path === '/' &&
    (hasQuery(request.query, 'Action') || contentType.startsWith('application/x-www-form-urlencoded'))
  ) {
    return { kind: 'sts' };
  }
  return { kind: 's3' };
}
