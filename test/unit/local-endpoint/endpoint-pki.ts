import { createPrivateKey, webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointRequest } from '../../../src/local-endpoint/types';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import type { Signer } from '../../../src/signer/signer';
import { signX509Request } from '../../../src/sigv4-x509';
import { type X509Certificate, x509 } from '../../../src/x509/x509';
import type { TestCa, TestLeaf } from '../../helpers/pki';

/** Helpers for the local endpoint tests on top of the openssl PKI of test/helpers/pki.ts. */

export function certificateOf(pem: string): X509Certificate {
  return new x509.X509Certificate(pem);
}

let crlCount = 0;

/** A CRL signed by `ca`'s openssl-made EC P-256 key, revoking the given hex serials; written to `dir` too. */
export async function makeCrl(
  dir: string,
  ca: TestCa,
  revokedSerialsHex: string[],
  thisUpdate: Date,
): Promise<{ pem: string; path: string }> {
  const der = createPrivateKey(readFileSync(ca.keyPath)).export({ format: 'der', type: 'pkcs8' });
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const crl = await x509.X509CrlGenerator.create({
    issuer: certificateOf(ca.certPem).subjectName,
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + 7 * 86_400_000),
    entries: revokedSerialsHex.map((serialNumber) => ({ serialNumber, revocationDate: thisUpdate })),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    signingKey,
  });
  const pem = crl.toString('pem');
  const path = join(dir, `${ca.name.replace(/\W+/g, '-')}-${++crlCount}.crl.pem`);
  writeFileSync(path, pem);
  return { pem, path };
}

export function signerFor(leaf: TestLeaf, intermediates: TestCa[] = []): Signer {
  return fromKeyObject(
    createPrivateKey(leaf.keyPem),
    certificateOf(leaf.certPem),
    intermediates.map((ca) => certificateOf(ca.certPem)),
  );
}

export interface SessionRequestOptions {
  signer: Signer;
  date: Date;
  region?: string;
  trustAnchorArn?: string;
  profileArn?: string;
  roleArn?: string;
  durationSeconds?: number;
  roleSessionName?: string;
  /** Put the ARNs in the JSON body (application/x-amz-json-1.0) instead of the query string. */
  arnsInBody?: boolean;
}

/** A CreateSession request signed as a client sends it, in the shape the endpoint's server hands over. */
export async function signedSessionRequest(options: SessionRequestOptions): Promise<EndpointRequest> {
  const region = options.region ?? 'us-east-1';
  const arns = {
    ...(options.profileArn ? { profileArn: options.profileArn } : {}),
    ...(options.roleArn ? { roleArn: options.roleArn } : {}),
    ...(options.trustAnchorArn ? { trustAnchorArn: options.trustAnchorArn } : {}),
  };
  const body = JSON.stringify({
    ...(options.durationSeconds === undefined ? {} : { durationSeconds: options.durationSeconds }),
    ...(options.roleSessionName === undefined ? {} : { roleSessionName: options.roleSessionName }),
    ...(options.arnsInBody ? arns : {}),
  });
  const signed = await signX509Request(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: `rolesanywhere.${region}.amazonaws.com`,
      path: '/sessions',
      query: options.arnsInBody ? {} : arns,
      headers: { 'content-type': options.arnsInBody ? 'application/x-amz-json-1.0' : 'application/json' },
      body,
    },
    { signer: options.signer, region, signingDate: options.date },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(signed.query))
    if (value !== null && value !== undefined) query[name] = value;
  return {
    method: 'POST',
    path: '/sessions',
    query,
    headers,
    body: Buffer.from(body),
    sourceAddress: '127.0.0.1',
  };
}
