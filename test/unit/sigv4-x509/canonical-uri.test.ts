import { describe, expect, it } from 'vitest';
import { createCanonicalUri } from '../../../src/sigv4-x509/canonical-uri';

describe('createCanonicalUri', () => {
  it.each([
    ['/sessions', '/sessions'],
    ['', '/'],
    ['/', '/'],
    ['/api', '/api'],
    ['/a/b/', '/a/b/'],
    ['//a//b', '/a/b'],
    ['/a/./b/../c', '/a/c'],
    ['/../a', '/a'],
    // The path arrives encoded once; SigV4 (all services but S3) encodes each segment again.
    ['/a%20b', '/a%2520b'],
    ['/caf%C3%A9/x', '/caf%25C3%25A9/x'],
    ['/a:b@c', '/a%3Ab%40c'],
  ])('%j -> %j', (path, expected) => {
    expect(createCanonicalUri(path)).toBe(expected);
  });
});
