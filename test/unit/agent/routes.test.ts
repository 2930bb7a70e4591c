import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../../src/agent/routes';

describe('matchRoute', () => {
  it.each([
    ['GET', '/v1/health', { kind: 'health' }],
    ['HEAD', '/v1/health?x=1', { kind: 'health' }],
    ['GET', '/v1/metrics', { kind: 'metrics' }],
    ['GET', '/v1/profiles/edge-1.prod_a/credentials', { kind: 'credentials', profile: 'edge-1.prod_a' }],
    ['GET', '/v1/profiles/edge/certificate', { kind: 'certificate', profile: 'edge' }],
    ['POST', '/v1/profiles/edge/sign', { kind: 'sign', profile: 'edge' }],
    ['POST', '/v1/profiles/edge/credentials', { kind: 'method-not-allowed', allow: 'GET, HEAD' }],
    ['GET', '/v1/profiles/edge/sign', { kind: 'method-not-allowed', allow: 'POST' }],
    ['DELETE', '/v1/health', { kind: 'method-not-allowed', allow: 'GET, HEAD' }],
    ['GET', '/v1/profiles/%65dge/credentials', { kind: 'not-found', code: 'PROFILE_NOT_FOUND' }],
    ['GET', '/v1/profiles/../credentials', { kind: 'not-found', code: 'PROFILE_NOT_FOUND' }],
    ['GET', '/v1/profiles//credentials', { kind: 'not-found', code: 'PROFILE_NOT_FOUND' }],
    ['GET', `/v1/profiles/${'a'.repeat(65)}/credentials`, { kind: 'not-found', code: 'PROFILE_NOT_FOUND' }],
    ['GET', '/v1/profiles/a/b/credentials', { kind: 'not-found', code: 'ROUTE_NOT_FOUND' }],
    ['GET', '/v1/health/', { kind: 'not-found', code: 'ROUTE_NOT_FOUND' }],
    ['GET', '/V1/health', { kind: 'not-found', code: 'ROUTE_NOT_FOUND' }],
    ['GET', 'http://localhost/v1/health', { kind: 'not-found', code: 'ROUTE_NOT_FOUND' }],
    ['GET', '*', { kind: 'not-found', code: 'ROUTE_NOT_FOUND' }],
  ])('%s %s', (method, target, expected) => {
    expect(matchRoute(method, target)).toEqual(expected);
  });
});
