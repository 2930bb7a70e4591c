import { createHash, createPrivateKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import { parseAuthorization, signX509Request, type X509SignableRequest } from '../../../src/sigv4-x509';
import type { X509SigningDebugEvent } from '../../../src/sigv4-x509/sign';
import { x509 } from '../../../src/x509/x509';

const FIXTURES = join(import.meta.dirname, '../../fixtures/sigv4-x509');
const leafPem = readFileSync(join(FIXTURES, 'leaf-ec.crt'), 'utf8');
const leaf = new x509.X509Certificate(leafPem);
const signer = fromKeyObject(createPrivateKey(readFileSync(join(FIXTURES, 'leaf-ec.key'))), leaf, []);

const request: X509SignableRequest = {
  method: 'POST',
  protocol: 'https:',
  hostname: 'rolesanywhere.eu-west-1.amazonaws.com',
  path: '/sessions',
  query: { roleArn: 'arn:aws:iam::1:role/r', profileArn: 'arn:aws:rolesanywhere:eu-west-1:1:profile/p' },
  headers: { 'content-type': 'application/json' },
  body: '{"durationSeconds":900}',
};

describe('signX509Request debug hook', () => {
  it('reports the canonical request and the string to sign the signature covers', async () => {
    const events: X509SigningDebugEvent[] = [];
    const signed = await signX509Request(request, {
      signer,
      region: 'eu-west-1',
      signingDate: new Date('2027-03-04T05:06:07Z'),
      debug: (event) => events.push(event),
    });
    expect(events).toHaveLength(1);
    const [event] = events as [X509SigningDebugEvent];
    const bodyHash = createHash('sha256')
      .update(request.body as string)
      .digest('hex');
    expect(event.canonicalRequest).toBe(
      [
        'POST',
        '/sessions',
        'profileArn=arn%3Aaws%3Arolesanywhere%3Aeu-west-1%3A1%3Aprofile%2Fp&roleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr',
        'content-type:application/json',
        'host:rolesanywhere.eu-west-1.amazonaws.com',
        'x-amz-date:20270304T050607Z',
        `x-amz-x509:${Buffer.from(leaf.rawData).toString('base64')}`,
        '',
        'content-type;host;x-amz-date;x-amz-x509',
        bodyHash,
      ].join('\n'),
    );
    const canonicalHash = createHash('sha256').update(event.canonicalRequest).digest('hex');
    expect(event.stringToSign).toBe(
      `AWS4-X509-ECDSA-SHA256\n20270304T050607Z\n20270304/eu-west-1/rolesanywhere/aws4_request\n${canonicalHash}`,
    );
    // The reported string is the one signed: the Authorization signature verifies over it.
    const authorization = parseAuthorization(String(signed.headers.authorization));
    expect(
      verify('sha256', Buffer.from(event.stringToSign), leafPem, Buffer.from(authorization.signature, 'hex')),
    ).toBe(true);
  });
});
