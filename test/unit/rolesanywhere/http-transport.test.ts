import { describe, expect, it } from 'vitest';
import {
  networkFailure,
  redactProxy,
  requestTarget,
  resolveTimeouts,
} from '../../../src/rolesanywhere/http-transport';

const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('requestTarget', () => {
  it('percent-encodes query names and values as SigV4 does', () => {
    expect(requestTarget({ path: '/sessions', query: {} })).toBe('/sessions');
    expect(
      requestTarget({
        path: '/sessions',
        query: {
          roleArn: "arn:aws:iam::1:role/a!b'(c)*",
          empty: null,
          skipped: undefined,
          many: ['x y', 'z'],
        },
      }),
    ).toBe('/sessions?roleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%21b%27%28c%29%2A&empty=&many=x%20y&many=z');
  });
});

describe('networkFailure', () => {
  const target = 'https://rolesanywhere.us-east-1.amazonaws.com';
  it('treats certificate errors as TLS_VERIFY_FAILED, not retryable', () => {
    for (const code of [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'CERT_HAS_EXPIRED',
    ]) {
      const failure = networkFailure(errno(code), target);
      expect(failure.error.code).toBe('TLS_VERIFY_FAILED');
      expect(failure.retryable).toBe(false);
      expect(failure.error.message).toContain(target);
    }
  });

  it('treats other TLS errors as TLS_HANDSHAKE_FAILED', () => {
    expect(networkFailure(errno('EPROTO'), target).error.code).toBe('TLS_HANDSHAKE_FAILED');
    expect(networkFailure(errno('ERR_SSL_WRONG_VERSION_NUMBER'), target).error.code).toBe(
      'TLS_HANDSHAKE_FAILED',
    );
  });

  it('retries transient socket errors but not a name that does not resolve', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']) {
      const failure = networkFailure(errno(code), target);
      expect(failure.error.code).toBe('ENDPOINT_UNREACHABLE');
      expect(failure.retryable).toBe(true);
    }
    expect(networkFailure(new Error('socket hang up'), target).retryable).toBe(true);
    const notFound = networkFailure(errno('ENOTFOUND', 'getaddrinfo ENOTFOUND x'), target);
    expect(notFound.retryable).toBe(false);
    expect(notFound.error.hint).toContain('--region');
  });
});

describe('redactProxy', () => {
  it('drops user and password', () => {
    expect(redactProxy('http://user:pw@proxy.corp:3128/')).toBe('http://proxy.corp:3128');
    expect(redactProxy('not a url')).toBe('from the environment');
  });
});

describe('resolveTimeouts', () => {
  it('fills defaults and keeps what is given', () => {
    expect(resolveTimeouts()).toEqual({ connectMs: 5000, responseMs: 15_000 });
    expect(resolveTimeouts({ responseMs: 300, connectMs: undefined })).toEqual({
      connectMs: 5000,
      responseMs: 300,
    });
  });

  it('rejects zero, negative and absurd values', () => {
    for (const bad of [
      { connectMs: 0 },
      { responseMs: -5 },
      { connectMs: Number.NaN },
      { responseMs: 10_000_000 },
    ]) {
      expect(() => resolveTimeouts(bad)).toThrow(/timeouts\.\w+ .* is not a number of ms/);
    }
  });
});
