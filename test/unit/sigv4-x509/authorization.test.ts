import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { formatAuthorization, parseAuthorization } from '../../../src/sigv4-x509/authorization';

const VALUE =
  'AWS4-X509-ECDSA-SHA256 Credential=35778190043212280460863094391048911229757758754/20220827/us-east-1/rolesanywhere/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-x509, Signature=3045abcd';

function codeOf(value: string): string {
  try {
    parseAuthorization(value);
    return 'PARSED';
  } catch (error) {
    return isAgentError(error) ? error.code : 'OTHER';
  }
}

describe('formatAuthorization', () => {
  it('writes algorithm, Credential, SignedHeaders and Signature separated by ", "', () => {
    expect(
      formatAuthorization(
        'AWS4-X509-ECDSA-SHA256',
        '35778190043212280460863094391048911229757758754',
        '20220827/us-east-1/rolesanywhere/aws4_request',
        ['content-type', 'host', 'x-amz-date', 'x-amz-x509'],
        '3045abcd',
      ),
    ).toBe(VALUE);
  });
});

describe('parseAuthorization', () => {
  it('reads every part', () => {
    expect(parseAuthorization(VALUE)).toEqual({
      algorithm: 'AWS4-X509-ECDSA-SHA256',
      serial: '35778190043212280460863094391048911229757758754',
      scope: '20220827/us-east-1/rolesanywhere/aws4_request',
      scopeDate: '20220827',
      region: 'us-east-1',
      service: 'rolesanywhere',
      signedHeaders: ['content-type', 'host', 'x-amz-date', 'x-amz-x509'],
      signature: '3045abcd',
    });
  });

  it('tolerates missing spaces after commas and upper-case hex', () => {
    const parsed = parseAuthorization(VALUE.replaceAll(', ', ',').replace('3045abcd', '3045ABCD'));
    expect(parsed.signature).toBe('3045abcd');
  });

  it.each([
    [
      'AWS4-HMAC-SHA256 Credential=AKIA/20220827/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00',
      'AUTH_ALGORITHM_UNSUPPORTED',
    ],
    [
      'AWS4-X509-MLDSA-65 Credential=1/20220827/r/s/aws4_request, SignedHeaders=host, Signature=00',
      'AUTH_ALGORITHM_UNSUPPORTED',
    ],
    ['Basic dXNlcjpwYXNz', 'AUTH_MALFORMED'],
    ['', 'AUTH_MALFORMED'],
    [VALUE.replace(', Signature=3045abcd', ''), 'AUTH_MALFORMED'],
    [`${VALUE}, Signature=00`, 'AUTH_MALFORMED'],
    [VALUE.replace('Credential=', 'Credentials='), 'AUTH_MALFORMED'],
    [VALUE.replace('/aws4_request', ''), 'AUTH_MALFORMED'],
    [VALUE.replace('/aws4_request', '/aws4_request/x'), 'AUTH_MALFORMED'],
    [
      VALUE.replace('35778190043212280460863094391048911229757758754', '0644597ab233fa70c1ad'),
      'AUTH_MALFORMED',
    ],
    [VALUE.replace('20220827', '2022-08-27'), 'AUTH_MALFORMED'],
    [VALUE.replace('/us-east-1/', '//'), 'AUTH_MALFORMED'],
    [VALUE.replace('content-type;host', 'Content-Type;host'), 'AUTH_MALFORMED'],
    [VALUE.replace('content-type;host', 'host;content-type'), 'AUTH_MALFORMED'],
    [VALUE.replace('content-type;host', 'host;host'), 'AUTH_MALFORMED'],
    [VALUE.replace('3045abcd', '3045abc'), 'AUTH_MALFORMED'],
    [VALUE.replace('3045abcd', ''), 'AUTH_MALFORMED'],
  ])('%j -> %s', (value, code) => {
    expect(codeOf(value)).toBe(code);
  });
});
