/** What a request asks for, from its method and path alone. */
export type Route =
  | { kind: 'health' }
  | { kind: 'metrics' }
  | { kind: 'credentials' | 'certificate' | 'sign'; profile: string }
  | { kind: 'not-found'; code: 'ROUTE_NOT_FOUND' | 'PROFILE_NOT_FOUND' }
  | { kind: 'method-not-allowed'; allow: string };

const PROFILE_ROUTE = /^\/v1\/profiles\/([^/]*)\/(credentials|certificate|sign)$/;
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const METHODS: Record<string, string> = {
  health: 'GET',
  metrics: 'GET',
  credentials: 'GET',
  certificate: 'GET',
  sign: 'POST',
};

/**
 * Matches the versioned routes: GET /v1/health, GET /v1/metrics,
 * GET /v1/profiles/<name>/credentials, GET .../certificate, POST .../sign. The query string is
 * ignored; HEAD is accepted where GET is.
 */
export function matchRoute(method: string, target: string): Route {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  let kind: string;
  let profile: string | undefined;
  if (path === '/v1/health') kind = 'health';
  else if (path === '/v1/metrics') kind = 'metrics';
  else {
    const match = PROFILE_ROUTE.exec(path);
    if (!match) return { kind: 'not-found', code: 'ROUTE_NOT_FOUND' };
    kind = match[2] as string;
    profile = match[1] as string;
  }
  const expected = METHODS[kind] as string;
  if (method !== expected && !(expected === 'GET' && method === 'HEAD')) {
    return { kind: 'method-not-allowed', allow: expected === 'GET' ? 'GET, HEAD' : expected };
  }
  if (profile !== undefined) {
    // Names are plain ASCII: anything else (encoded, dotted paths) cannot be a profile.
    if (!PROFILE_NAME.test(profile)) return { kind: 'not-found', code: 'PROFILE_NOT_FOUND' };
    return { kind: kind as 'credentials' | 'certificate' | 'sign', profile };
  }
  return { kind: kind as 'health' | 'metrics' };
}
