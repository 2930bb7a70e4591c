import { createHash } from 'node:crypto';
import { getCanonicalHeaders, SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { selectSignedHeaders } from '../../../src/sigv4-x509/canonical-headers';
import { createCanonicalRequest } from '../../../src/sigv4-x509/canonical-request';
import type { CanonicalizableRequest } from '../../../src/sigv4-x509/request';

const SHA256_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

class Sha256 {
  private readonly hash = createHash('sha256');
  update(data: Uint8Array | string) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

/** The AWS SDK's own canonical request for the same request, as an independent reference. */
function smithyCanonicalRequest(
  request: CanonicalizableRequest & { headers: Record<string, string> },
): string {
  const sdk = new SignatureV4({
    service: 'rolesanywhere',
    region: 'us-east-1',
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    sha256: Sha256,
  }) as unknown as { createCanonicalRequest(r: unknown, h: Record<string, string>, p: string): string };
  const body = request.body ?? '';
  return sdk.createCanonicalRequest(
    request,
    getCanonicalHeaders(request as never),
    createHash('sha256').update(body).digest('hex'),
  );
}

describe('createCanonicalRequest', () => {
  it('lays out method, URI, query, headers, blank line, signed headers and body hash', () => {
    const text = createCanonicalRequest(
      {
        method: 'POST',
        path: '/sessions',
        query: { b: '2', a: '1' },
        headers: { Host: 'h', 'X-Amz-Date': '20240101T000000Z' },
      },
      ['host', 'x-amz-date'],
    );
    expect(text).toBe(
      `POST\n/sessions\na=1&b=2\nhost:h\nx-amz-date:20240101T000000Z\n\nhost;x-amz-date\n${SHA256_EMPTY}`,
    );
  });

  it('keeps the method as sent', () => {
    const text = createCanonicalRequest({ method: 'get', path: '/', headers: { host: 'h' } }, ['host']);
    expect(text.split('\n')[0]).toBe('get');
  });

  it.each<[string, CanonicalizableRequest & { headers: Record<string, string> }]>([
    [
      'a CreateSession request',
      {
        method: 'POST',
        path: '/sessions',
        query: {
          roleArn: 'arn:aws:iam::1:role/r',
          profileArn: 'arn:aws:rolesanywhere:us-east-1:1:profile/p',
        },
        headers: {
          host: 'rolesanywhere.us-east-1.amazonaws.com',
          'content-type': 'application/json',
          'x-amz-date': '20240101T000000Z',
        },
        body: '{"durationSeconds":3600}',
      },
    ],
    [
      'an odd path, spaced header values and repeated query names',
      {
        method: 'PUT',
        path: '/a%20b/./c/../d/',
        query: { tag: ['z', 'a'], 'q s': 'v/w' },
        headers: { Host: 'example.com:8443', 'X-Custom': '  a   b\tc  ', 'X-Amz-Date': '20240101T000000Z' },
        body: 'ü',
      },
    ],
  ])('agrees with the AWS SDK (smithy) for %s', (_name, request) => {
    expect(createCanonicalRequest(request, selectSignedHeaders(request.headers))).toBe(
      smithyCanonicalRequest(request),
    );
  });
});
