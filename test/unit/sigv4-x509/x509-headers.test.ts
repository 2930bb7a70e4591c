import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { decodeChainHeader, decodeLeafHeader } from '../../../src/sigv4-x509/x509-headers';
import { x509 } from '../../../src/x509/x509';

const FIXTURES = join(import.meta.dirname, '../../fixtures/sigv4-x509');
const b64 = (name: string) =>
  Buffer.from(new x509.X509Certificate(readFileSync(join(FIXTURES, name), 'utf8')).rawData).toString(
    'base64',
  );

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'OK';
  } catch (error) {
    return isAgentError(error) ? error.code : 'OTHER';
  }
}

describe('decodeLeafHeader', () => {
  it('decodes base64 DER', () => {
    expect(decodeLeafHeader(b64('leaf-rsa.crt')).subject).toContain('CN=leaf-rsa');
  });

  it('decodes a value once: the same certificate object for the same header, as a client repeats it', () => {
    const value = b64('leaf-rsa.crt');
    const first = decodeLeafHeader(value);
    expect(decodeLeafHeader(value)).toBe(first);
    expect(decodeLeafHeader(b64('leaf-ec.crt'))).not.toBe(first);
    // Chain entries stay distinct objects, also when one repeats the leaf.
    const [again] = decodeChainHeader(value);
    expect(again).not.toBe(first);
    expect(again?.subject).toBe(first.subject);
  });

  it('does not remember a value that failed', () => {
    expect(codeOf(() => decodeLeafHeader('MII*'))).toBe('CERT_BASE64_INVALID');
    expect(codeOf(() => decodeLeafHeader('MII*'))).toBe('CERT_BASE64_INVALID');
  });

  it.each([
    ['empty', '', 'CERT_BASE64_INVALID'],
    ['bad characters', 'MII*', 'CERT_BASE64_INVALID'],
    [
      'url-safe alphabet',
      b64('leaf-rsa.crt').replaceAll('+', '-').replaceAll('/', '_'),
      'CERT_BASE64_INVALID',
    ],
    ['line breaks', b64('leaf-rsa.crt').replace(/(.{64})/g, '$1\n'), 'CERT_BASE64_INVALID'],
    ['missing padding', 'QUJD'.slice(0, 3), 'CERT_BASE64_INVALID'],
    ['not DER', Buffer.from('hello world!').toString('base64'), 'CERT_DER_INVALID'],
    [
      'truncated DER',
      Buffer.from(Buffer.from(b64('leaf-rsa.crt'), 'base64').subarray(0, 300)).toString('base64'),
      'CERT_DER_INVALID',
    ],
  ])('rejects %s', (_name, value, code) => {
    expect(codeOf(() => decodeLeafHeader(value))).toBe(code);
  });
});

describe('decodeChainHeader', () => {
  it('is empty when absent or blank', () => {
    expect(decodeChainHeader(undefined)).toEqual([]);
    expect(decodeChainHeader(' ')).toEqual([]);
  });

  it('decodes comma-separated certificates in order', () => {
    const chain = decodeChainHeader(`${b64('intermediate.crt')},${b64('root.crt')}`);
    expect(chain.map((c) => c.subject)).toEqual([
      'O=rolesanywhere-agent fixtures, CN=Fixture Intermediate CA',
      'O=rolesanywhere-agent fixtures, CN=Fixture Root CA',
    ]);
  });

  it('refuses six entries before decoding any', () => {
    expect(codeOf(() => decodeChainHeader(Array(6).fill('%').join(',')))).toBe('CHAIN_TOO_LONG');
    expect(decodeChainHeader(Array(5).fill(b64('intermediate.crt')).join(','))).toHaveLength(5);
  });

  it('names chain errors as chain errors', () => {
    expect(codeOf(() => decodeChainHeader(`${b64('intermediate.crt')},`))).toBe('CHAIN_BASE64_INVALID');
    expect(codeOf(() => decodeChainHeader('AAAA'))).toBe('CHAIN_DER_INVALID');
  });
});
