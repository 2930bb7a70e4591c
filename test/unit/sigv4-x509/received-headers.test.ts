import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { singleHeader } from '../../../src/sigv4-x509/received-headers';

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'OK';
  } catch (error) {
    return isAgentError(error) ? error.code : 'OTHER';
  }
}

const AUTH = 'AWS4-X509-RSA-SHA256 Credential=1/20240101/r/s/aws4_request, SignedHeaders=host, Signature=00';

describe('singleHeader', () => {
  it('returns the one value whatever the name case, or undefined', () => {
    expect(singleHeader({ 'X-Amz-Date': '20240101T000000Z' }, 'x-amz-date')).toBe('20240101T000000Z');
    expect(singleHeader({ 'x-amz-date': ['20240101T000000Z'] }, 'x-amz-date')).toBe('20240101T000000Z');
    expect(singleHeader({}, 'x-amz-date')).toBeUndefined();
  });

  it('accepts a chain joined by bare commas and an authorization with its own ", " separators', () => {
    expect(singleHeader({ 'x-amz-x509-chain': 'AAAA,BBBB' }, 'x-amz-x509-chain')).toBe('AAAA,BBBB');
    expect(singleHeader({ authorization: AUTH }, 'authorization')).toBe(AUTH);
  });

  it.each<[string, Record<string, string | string[]>, string]>([
    ['array of two', { 'x-amz-x509': ['AAAA', 'AAAA'] }, 'x-amz-x509'],
    ['two name cases', { 'X-Amz-X509': 'AAAA', 'x-amz-x509': 'AAAA' }, 'x-amz-x509'],
    ['comma-merged certificate', { 'x-amz-x509': 'AAAA, BBBB' }, 'x-amz-x509'],
    ['comma-merged chain', { 'x-amz-x509-chain': 'AAAA,BBBB, CCCC' }, 'x-amz-x509-chain'],
    ['comma-merged date', { 'x-amz-date': '20240101T000000Z, 20240101T000000Z' }, 'x-amz-date'],
    ['comma-merged authorization', { authorization: `${AUTH}, ${AUTH}` }, 'authorization'],
    ['two hosts', { host: ['a', 'b'] }, 'host'],
  ])('rejects %s', (_name, headers, name) => {
    expect(codeOf(() => singleHeader(headers, name))).toBe('HEADER_DUPLICATE');
  });
});
