import { formatProcessOutput } from '../credentials/process-output';
import type { Credentials } from '../credentials/types';
import type { Digest } from '../signer/signer';
import { certificateData } from '../x509/certificate-data';
import { httpError } from './http-error';
import type { ProfileRuntime } from './profile-runtime';
import { parseJsonObject } from './read-body';

/** A successful answer: body and content type. */
export interface RouteResult {
  status: number;
  contentType: string;
  body: string;
  /** For the audit line. */
  digest?: Digest;
}

const JSON_TYPE = 'application/json';
const DIGESTS: readonly Digest[] = ['SHA256', 'SHA384', 'SHA512'];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The JSON of each credentials object the cache hands out, made once: the route is the hot path. */
const bodies = new WeakMap<Credentials, string>();

/**
 * The bytes of base64 `data` in memory of their own. Buffer.from would slice them from Node's
 * shared 8 KiB pool: a request that outlives two young-generation collections (the agent keeps
 * 64 in flight) then holds the whole slab in the old generation until a full collection.
 */
function ownBuffer(data: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(data, 'base64'));
  bytes.write(data, 'base64');
  return bytes;
}

/** GET .../credentials: the credential_process JSON, from memory when valid. */
export async function credentialsRoute(runtime: ProfileRuntime): Promise<RouteResult> {
  const { credentials } = await runtime.credentials();
  let body = bodies.get(credentials);
  if (body === undefined) {
    body = formatProcessOutput(credentials);
    bodies.set(credentials, body);
  }
  return { status: 200, contentType: JSON_TYPE, body };
}

/** GET .../certificate: read-certificate-data's JSON plus the chain (base64 DER, leaf's issuer first). */
export async function certificateRoute(runtime: ProfileRuntime): Promise<RouteResult> {
  const signer = await runtime.signer();
  const body = {
    ...certificateData(signer.certificate),
    chain: signer.chain.map((cert) => Buffer.from(cert.rawData).toString('base64')),
  };
  return { status: 200, contentType: JSON_TYPE, body: `${JSON.stringify(body)}\n` };
}

/** POST .../sign {digest, data}: hashes `data` with `digest` and signs it with the profile's key. */
export async function signRoute(runtime: ProfileRuntime, body: Buffer): Promise<RouteResult> {
  const request = parseJsonObject(body);
  const digest = request.digest ?? 'SHA256';
  if (typeof digest !== 'string' || !DIGESTS.includes(digest as Digest)) {
    throw httpError(400, 'INVALID_DIGEST', `digest must be one of ${DIGESTS.join(', ')}`);
  }
  const { data } = request;
  if (typeof data !== 'string' || !BASE64.test(data)) {
    throw httpError(
      400,
      'INVALID_DATA',
      'data must be the bytes to sign in base64 (standard alphabet, padded)',
    );
  }
  const signature = await runtime.sign(ownBuffer(data), digest as Digest);
  const encoded = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString(
    'base64',
  );
  return {
    status: 200,
    contentType: JSON_TYPE,
    body: `${JSON.stringify({ signature: encoded, digest })}\n`,
    digest: digest as Digest,
  };
}
