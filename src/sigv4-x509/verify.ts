import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { AgentError } from '../errors';
import type { SigningAlgorithm } from '../signer/signer';
import { serialToDecimal, serialToHex } from '../x509/serial';
import type { X509Certificate, x509 } from '../x509/x509';
import { type Authorization, parseAuthorization } from './authorization';
import { headerValues } from './canonical-headers';
import { createCanonicalRequest } from './canonical-request';
import { assertAcceptableLeaf, describeCert } from './certificate-checks';
import { memoByCertificate } from './certificate-memo';
import { parseAmzDate } from './credential-scope';
import { singleHeader } from './received-headers';
import type { ReceivedRequest } from './request';
import { assertNotRevoked } from './revocation';
import { createStringToSign } from './string-to-sign';
import { buildTrustPath } from './trust-path';
import type { VerifyErrorCode } from './verify-errors';
import { decodeChainHeader, decodeLeafHeader } from './x509-headers';

export interface VerifyX509Options {
  /** CA certificates the request must chain to. */
  trustAnchors: readonly X509Certificate[];
  /** CRLs to honour; each counts only for certificates issued by its (verified) issuer. */
  crls?: readonly x509.X509Crl[];
  now?: Date;
  maxSkewSeconds?: number;
  /** When set, the credential scope must name this region; otherwise any region is taken. */
  region?: string;
  service?: string;
}

export interface VerifiedX509Request {
  leaf: X509Certificate;
  /** The intermediates of the verified path, the leaf's issuer first. */
  chain: X509Certificate[];
  trustAnchor: X509Certificate;
  /** Leaf serial in decimal, as in the Credential. */
  serial: string;
  /** Leaf serial in lower-case hex. */
  serialHex: string;
  algorithm: SigningAlgorithm;
  region: string;
  signingDate: Date;
  signedHeaders: string[];
}

/**
 * Verifies a SigV4-X509 request as IAM Roles Anywhere does, against the headers, query and
 * body exactly as received (pass IncomingMessage.headersDistinct so repeated headers show).
 * Resolves with the verified certificates or throws an AgentError whose code (see
 * VERIFY_ERROR_RESPONSES) names the first check that failed, in this order: headers that must
 * come once, Authorization, X-Amz-Date, X-Amz-X509 present, credential scope, SignedHeaders,
 * clock skew, certificate encoding and chain length, serial, key type, the leaf's own
 * constraints, the path to a trust anchor, revocation, and last the signature.
 */
export async function verifyX509Request(
  request: ReceivedRequest,
  options: VerifyX509Options,
): Promise<VerifiedX509Request> {
  const {
    trustAnchors,
    crls = [],
    now = new Date(),
    maxSkewSeconds = 300,
    region,
    service = 'rolesanywhere',
  } = options;
  const headers = request.headers;
  const authorization = singleHeader(headers, 'authorization');
  const amzDate = singleHeader(headers, 'x-amz-date');
  const leafValue = singleHeader(headers, 'x-amz-x509');
  const chainValue = singleHeader(headers, 'x-amz-x509-chain');
  singleHeader(headers, 'host');

  if (authorization === undefined) {
    throw reject('AUTH_MISSING', 'request has no Authorization header', 'sign the request with SigV4-X509');
  }
  const auth = parseAuthorization(authorization);
  if (amzDate === undefined) {
    throw reject('DATE_MISSING', 'request has no X-Amz-Date header', 'send X-Amz-Date as YYYYMMDDTHHMMSSZ');
  }
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate) {
    throw reject(
      'DATE_MALFORMED',
      `X-Amz-Date "${amzDate.slice(0, 40)}" is not YYYYMMDDTHHMMSSZ`,
      'send X-Amz-Date in UTC as YYYYMMDDTHHMMSSZ',
    );
  }
  if (leafValue === undefined) {
    throw reject(
      'CERT_MISSING',
      'request has no X-Amz-X509 header',
      'send the leaf certificate as base64 DER in X-Amz-X509',
    );
  }
  assertScope(auth, amzDate, region, service);
  assertSignedHeaders(auth, request, chainValue !== undefined);
  const skewSeconds = Math.abs(now.getTime() - signingDate.getTime()) / 1000;
  if (skewSeconds > maxSkewSeconds) {
    throw reject(
      'DATE_SKEW',
      `X-Amz-Date ${amzDate} is ${Math.round(skewSeconds)} s away from server time (limit ${maxSkewSeconds} s)`,
      'synchronize the clock of the client (NTP)',
    );
  }

  const leaf = decodeLeafHeader(leafValue);
  const sent = decodeChainHeader(chainValue);
  const serial = serialToDecimal(leaf);
  if (auth.serial !== serial) {
    throw reject(
      'SERIAL_MISMATCH',
      `credential serial ${auth.serial} is not the serial ${serial} of ${describeCert(leaf)}`,
      'the Credential must carry the decimal serial of the certificate in X-Amz-X509',
    );
  }
  const publicKey = keyFitting(auth.algorithm, leaf);

  assertAcceptableLeaf(leaf, now);
  const path = await buildTrustPath(leaf, sent, trustAnchors, now);
  await assertNotRevoked([leaf, ...path.intermediates, path.anchor], crls);

  const stringToSign = createStringToSign(
    auth.algorithm,
    amzDate,
    auth.scope,
    createCanonicalRequest(request, auth.signedHeaders),
  );
  if (!verifySignature(publicKey, stringToSign, auth.signature)) {
    throw reject(
      'SIGNATURE_INVALID',
      `request signature does not verify with the key of ${describeCert(leaf)}`,
      'the request was changed after signing, or signed with a key that does not match the certificate',
    );
  }
  return {
    leaf,
    chain: path.intermediates,
    trustAnchor: path.anchor,
    serial,
    serialHex: serialToHex(leaf),
    algorithm: auth.algorithm,
    region: auth.region,
    signingDate,
    signedHeaders: auth.signedHeaders,
  };
}

function reject(code: VerifyErrorCode, message: string, hint: string): AgentError {
  return new AgentError(code, message, { hint });
}

function assertScope(
  auth: Authorization,
  amzDate: string,
  region: string | undefined,
  service: string,
): void {
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw reject(
      'SCOPE_DATE_MISMATCH',
      `credential scope date ${auth.scopeDate} differs from X-Amz-Date ${amzDate}`,
      'the scope date must be the date part of X-Amz-Date',
    );
  }
  if (region !== undefined && auth.region !== region) {
    throw reject(
      'SCOPE_REGION_MISMATCH',
      `credential scope names region ${auth.region}, this endpoint serves ${region}`,
      `sign for region ${region}`,
    );
  }
  if (auth.service !== service) {
    throw reject(
      'SCOPE_SERVICE_MISMATCH',
      `credential scope names service ${auth.service}, expected ${service}`,
      `sign with service name ${service}`,
    );
  }
}

/** The signature must cover host, the date and the certificates, and only name headers that are there. */
function assertSignedHeaders(auth: Authorization, request: ReceivedRequest, chainSent: boolean): void {
  const required = ['host', 'x-amz-date', 'x-amz-x509', ...(chainSent ? ['x-amz-x509-chain'] : [])];
  const unsigned = required.filter((name) => !auth.signedHeaders.includes(name));
  if (unsigned.length > 0) {
    throw reject(
      'SIGNED_HEADERS_INCOMPLETE',
      `SignedHeaders does not include ${unsigned.join(', ')}`,
      'sign host, x-amz-date, x-amz-x509 and x-amz-x509-chain (when sent)',
    );
  }
  const absent = auth.signedHeaders.filter((name) => headerValues(request.headers, name).length === 0);
  if (absent.length > 0) {
    throw reject(
      'SIGNED_HEADER_MISSING',
      `signed header ${absent.join(', ')} is not on the request`,
      'SignedHeaders may only name headers the request carries',
    );
  }
}

/** The leaf's public key as node:crypto reads it; undefined when it cannot. */
const publicKeyOf = memoByCertificate((leaf): KeyObject | undefined => {
  try {
    return createPublicKey({ key: Buffer.from(leaf.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
});

/** The leaf's public key, when the algorithm fits it: RSA with AWS4-X509-RSA-SHA256, EC with ECDSA. */
function keyFitting(algorithm: SigningAlgorithm, leaf: X509Certificate): KeyObject {
  const key = publicKeyOf(leaf);
  const type = key?.asymmetricKeyType;
  const expected = algorithm === 'AWS4-X509-RSA-SHA256' ? 'rsa' : 'ec';
  if (!key || type !== expected) {
    throw reject(
      'ALGORITHM_KEY_MISMATCH',
      `algorithm ${algorithm} does not fit the ${type ?? 'unreadable'} key of ${describeCert(leaf)}`,
      'use AWS4-X509-RSA-SHA256 with RSA keys and AWS4-X509-ECDSA-SHA256 with EC keys',
    );
  }
  return key;
}

/** RSA PKCS#1 v1.5 or DER ECDSA over SHA-256 of the string to sign; a garbled signature is just invalid. */
function verifySignature(publicKey: KeyObject, stringToSign: string, signatureHex: string): boolean {
  try {
    return cryptoVerify(
      'sha256',
      Buffer.from(stringToSign, 'utf8'),
      { key: publicKey, dsaEncoding: 'der' },
      Buffer.from(signatureHex, 'hex'),
    );
  } catch {
    return false;
  }
}
