import { createHash, createPrivateKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../src/errors';
import { fromKeyObject } from '../../src/signer/from-key-object';
import { createCanonicalQuery, hashPayload, signX509Request, verifyX509Request } from '../../src/sigv4-x509';
import type { X509SignableRequest } from '../../src/sigv4-x509/request';
import { type X509Certificate, x509 } from '../../src/x509/x509';

// Vectors from sorah/needroleshere and the Saiph project; see test/fixtures/vectors/README.md.
const DIR = join(import.meta.dirname, '../fixtures/vectors');

interface VectorCase {
  name: string;
  key: string;
  chain: string;
  algorithm: string;
  serial: string;
  signedHeaders: string;
  signature?: string;
}

interface VectorFile {
  signingDate: string;
  region: string;
  service: string;
  request: X509SignableRequest;
  expectedCanonicalQuery?: string;
  expectedBodySha256?: string;
  cases: VectorCase[];
}

function readVectors(name: string): VectorFile {
  return JSON.parse(readFileSync(join(DIR, name), 'utf8')) as VectorFile;
}

function readChain(file: string): X509Certificate[] {
  return x509.PemConverter.decode(readFileSync(join(DIR, file), 'utf8')).map(
    (der) => new x509.X509Certificate(der),
  );
}

function signerFor(vector: VectorCase) {
  const [leaf, ...chain] = readChain(vector.chain);
  if (!leaf) throw new Error(`no certificate in ${vector.chain}`);
  return {
    signer: fromKeyObject(createPrivateKey(readFileSync(join(DIR, vector.key))), leaf, chain),
    leaf,
    chain,
  };
}

const b64 = (cert: X509Certificate) => Buffer.from(cert.rawData).toString('base64');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The canonical request written out by hand from the SigV4 rules, independent of the code under test. */
function expectedCanonicalRequest(
  file: VectorFile,
  leaf: X509Certificate,
  chain: X509Certificate[],
  canonicalQuery: string,
) {
  const amzDate = file.signingDate.replace(/[-:]/g, '');
  const lines = [
    `content-type:${file.request.headers['content-type']}`,
    `host:${file.request.hostname}`,
    `x-amz-date:${amzDate}`,
    `x-amz-x509:${b64(leaf)}`,
    ...(chain.length > 0 ? [`x-amz-x509-chain:${chain.map(b64).join(',')}`] : []),
  ];
  const signed = lines.map((line) => line.slice(0, line.indexOf(':'))).join(';');
  return `POST\n${file.request.path}\n${canonicalQuery}\n${lines.join('\n')}\n\n${signed}\n${sha256(String(file.request.body))}`;
}

function expectedStringToSign(file: VectorFile, algorithm: string, canonicalRequest: string): string {
  const amzDate = file.signingDate.replace(/[-:]/g, '');
  const scope = `${amzDate.slice(0, 8)}/${file.region}/${file.service}/aws4_request`;
  return `${algorithm}\n${amzDate}\n${scope}\n${sha256(canonicalRequest)}`;
}

function parseAuthorization(value: string | undefined) {
  const match = /^(\S+) Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(value ?? '');
  if (!match) throw new Error(`unexpected authorization ${value}`);
  const [, algorithm, credential, signedHeaders, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { algorithm, credential, signedHeaders, signature };
}

for (const fileName of ['needroleshere.json', 'saiph-shaped.json']) {
  const file = readVectors(fileName);
  const amzDate = file.signingDate.replace(/[-:]/g, '');

  describe(`vectors ${fileName}`, () => {
    for (const vector of file.cases) {
      it(`${vector.name}: reproduces headers, canonical request and signature`, async () => {
        const { signer, leaf, chain } = signerFor(vector);
        const signed = await signX509Request(file.request, {
          signer,
          region: file.region,
          service: file.service,
          signingDate: new Date(file.signingDate),
        });

        expect(signed.headers.host).toBe(file.request.hostname);
        expect(signed.headers['x-amz-date']).toBe(amzDate);
        expect(signed.headers['x-amz-x509']).toBe(b64(leaf));
        expect(signed.headers['x-amz-x509-chain']).toBe(
          chain.length > 0 ? chain.map(b64).join(',') : undefined,
        );

        const auth = parseAuthorization(signed.headers.authorization);
        expect(auth.algorithm).toBe(vector.algorithm);
        expect(auth.credential).toBe(
          `${vector.serial}/${amzDate.slice(0, 8)}/${file.region}/${file.service}/aws4_request`,
        );
        expect(auth.signedHeaders).toBe(vector.signedHeaders);

        const canonicalQuery = file.expectedCanonicalQuery ?? '';
        const stringToSign = expectedStringToSign(
          file,
          vector.algorithm,
          expectedCanonicalRequest(file, leaf, chain, canonicalQuery),
        );
        if (vector.signature) {
          expect(auth.signature).toBe(vector.signature);
        }
        // Both RSA and ECDSA: the signature must verify over the hand-built string to sign.
        const publicKey = Buffer.from(leaf.publicKey.rawData);
        const ok = cryptoVerify(
          'sha256',
          Buffer.from(stringToSign),
          { key: publicKey, format: 'der', type: 'spki', dsaEncoding: 'der' },
          Buffer.from(auth.signature, 'hex'),
        );
        expect(ok).toBe(true);
      });

      it(`${vector.name}: the verifier accepts the signed request`, async () => {
        const { signer, leaf, chain } = signerFor(vector);
        const signed = await signX509Request(file.request, {
          signer,
          region: file.region,
          service: file.service,
          signingDate: new Date(file.signingDate),
        });
        const request = {
          method: signed.method,
          path: signed.path,
          query: signed.query,
          headers: signed.headers,
          body: signed.body,
        };
        const anchor = chain[0] ?? readChain('needroleshere-cert-ec.chained.pem')[1];
        if (!anchor) throw new Error('no intermediate to anchor on');
        // needroleshere's date predates its certificates (notBefore 2022-09-25): not yet valid then.
        // Saiph's date is later: the request verifies as of its own signing date.
        const atSigning = await verifyX509Request(request, {
          trustAnchors: [anchor],
          now: new Date(file.signingDate),
          service: file.service,
        }).catch((error: unknown) => error);
        if (new Date(file.signingDate) < leaf.notBefore) {
          expect(isAgentError(atSigning) && atSigning.code).toBe('CERT_NOT_YET_VALID');
        } else {
          expect((atSigning as { serial?: string }).serial).toBe(vector.serial);
        }
        // With the intermediate as trust anchor, a later clock and the skew check opened up, everything else passes.
        const result = await verifyX509Request(request, {
          trustAnchors: [anchor],
          now: new Date('2030-01-01T00:00:00Z'),
          maxSkewSeconds: 10 * 365 * 86400,
          region: file.region,
          service: file.service,
        });
        expect(result.serial).toBe(vector.serial);
        expect(result.algorithm).toBe(vector.algorithm);
        expect(result.trustAnchor.subject).toBe('CN=rolesanywhere test CA - Intermediate');
      });
    }

    if (file.expectedCanonicalQuery !== undefined) {
      it('canonical query matches the expected encoding', () => {
        expect(createCanonicalQuery(file.request.query)).toBe(file.expectedCanonicalQuery);
      });
    }
    if (file.expectedBodySha256 !== undefined) {
      it('body hash matches', () => {
        expect(hashPayload(file.request.body)).toBe(file.expectedBodySha256);
      });
    }
  });
}
