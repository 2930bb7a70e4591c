import { createPrivateKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromKeyObject } from '../../src/signer/from-key-object';
import {
  createCanonicalRequest,
  createCredentialScope,
  createStringToSign,
  selectSignedHeaders,
  signX509Request,
  verifyX509Request,
} from '../../src/sigv4-x509';
import type { X509SignableRequest } from '../../src/sigv4-x509/request';
import { type X509Certificate, x509 } from '../../src/x509/x509';

// Made once by test/fixtures/sigv4-x509/generate.py (openssl + Python, independent of src/).
const DIR = join(import.meta.dirname, '../fixtures/sigv4-x509');

interface OwnCase {
  name: string;
  key: string;
  certificate: string;
  chain: string[];
  algorithm: string;
  serial: string;
  signedHeaders: string;
  canonicalRequest: string;
  stringToSign: string;
  signature?: string;
  authorization?: string;
}

const file = JSON.parse(readFileSync(join(DIR, 'vectors.json'), 'utf8')) as {
  signingDate: string;
  region: string;
  service: string;
  trustAnchor: string;
  request: X509SignableRequest;
  cases: OwnCase[];
};

const cert = (name: string): X509Certificate =>
  new x509.X509Certificate(readFileSync(join(DIR, name), 'utf8'));
const signingDate = new Date(file.signingDate);
const amzDate = '20270304T050607Z';

describe('own fixed vectors', () => {
  for (const vector of file.cases) {
    const signer = fromKeyObject(
      createPrivateKey(readFileSync(join(DIR, vector.key))),
      cert(vector.certificate),
      vector.chain.map(cert),
    );

    it(`${vector.name}: the pure steps give the canonical request and string to sign written out by generate.py`, () => {
      const headers = {
        ...file.request.headers,
        host: file.request.hostname,
        'x-amz-date': amzDate,
        'x-amz-x509': Buffer.from(signer.certificate.rawData).toString('base64'),
        'x-amz-x509-chain': Buffer.from(signer.chain[0]?.rawData ?? new ArrayBuffer(0)).toString('base64'),
      };
      const signedHeaders = selectSignedHeaders(headers);
      expect(signedHeaders.join(';')).toBe(vector.signedHeaders);
      const canonicalRequest = createCanonicalRequest({ ...file.request, headers }, signedHeaders);
      expect(canonicalRequest).toBe(vector.canonicalRequest);
      const scope = createCredentialScope(amzDate, file.region, file.service);
      expect(createStringToSign(vector.algorithm, amzDate, scope, canonicalRequest)).toBe(
        vector.stringToSign,
      );
    });

    it(`${vector.name}: signX509Request signs exactly that`, async () => {
      const signed = await signX509Request(file.request, { signer, region: file.region, signingDate });
      const authorization = signed.headers.authorization ?? '';
      if (vector.authorization) {
        // RSA PKCS#1 v1.5 is deterministic: the whole header must match openssl's signature.
        expect(authorization).toBe(vector.authorization);
      } else {
        expect(authorization).toMatch(
          new RegExp(
            `^${vector.algorithm} Credential=${vector.serial}/20270304/eu-west-1/rolesanywhere/aws4_request, SignedHeaders=${vector.signedHeaders}, Signature=[0-9a-f]+$`,
          ),
        );
      }
      const signature = Buffer.from(authorization.split('Signature=')[1] ?? '', 'hex');
      const ok = cryptoVerify(
        'sha256',
        Buffer.from(vector.stringToSign),
        {
          key: Buffer.from(signer.certificate.publicKey.rawData),
          format: 'der',
          type: 'spki',
          dsaEncoding: 'der',
        },
        signature,
      );
      expect(ok).toBe(true);
      // The User-Agent travels but is not signed.
      expect(signed.headers['User-Agent']).toBe('rolesanywhere-agent-fixture/1.0');
    });

    it(`${vector.name}: verifyX509Request accepts it against the fixture root`, async () => {
      const signed = await signX509Request(file.request, { signer, region: file.region, signingDate });
      const result = await verifyX509Request(
        {
          method: signed.method,
          path: signed.path,
          query: signed.query,
          headers: signed.headers,
          body: signed.body,
        },
        {
          trustAnchors: [cert(file.trustAnchor)],
          now: new Date(signingDate.getTime() + 299_000),
          region: file.region,
        },
      );
      expect(result.serial).toBe(vector.serial);
      expect(result.chain.map((c) => c.subject)).toEqual([
        'O=rolesanywhere-agent fixtures, CN=Fixture Intermediate CA',
      ]);
      expect(result.trustAnchor.subject).toBe('O=rolesanywhere-agent fixtures, CN=Fixture Root CA');
    });
  }
});
