import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from 'node:crypto';
import { getCanonicalHeaders, getCanonicalQuery, SignatureV4 } from '@smithy/signature-v4';
import type { CredentialStore } from './credential-store';
import { headerValue, queryValue, type RequestParts } from './request-parts';
import { SIGV4_ALGORITHM, type SigV4Auth } from './sigv4-auth';
import type { IssuedSession } from './types';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** AWS accepts requests up to 15 minutes either side of its clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export type SigV4FailureReason =
  | 'Malformed'
  | 'UnknownAccessKey'
  | 'InvalidToken'
  | 'SignatureMismatch'
  | 'Skewed'
  | 'Expired'
  | 'PresignExpired';

/** Why a signed request was refused; each protocol turns the reason into its own error code. */
export interface SigV4Failure extends Error {
  readonly reason: SigV4FailureReason;
}

export function sigV4Failure(reason: SigV4FailureReason, message: string): SigV4Failure {
  return Object.assign(new Error(message), { name: 'SigV4Failure', reason });
}

export function isSigV4Failure(value: unknown): value is SigV4Failure {
  return value instanceof Error && value.name === 'SigV4Failure';
}

/** node:crypto behind the hash interface SignatureV4 expects (a constructor, so a class). */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `YYYYMMDDTHHMMSSZ` -> Date; undefined unless it is a real instant in exactly that form. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const date = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
  return date.toISOString().replace(/[-:]|\.\d{3}/g, '') === value ? date : undefined;
}

/** RFC 3986 escaping as SigV4 uses it (encodeURIComponent leaves !'()* alone). */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * S3 signs the path exactly as sent. Every other service signs it normalised and URI-encoded
 * once more (clients encode the already-encoded path again).
 */
export function canonicalPath(path: string, service: string): string {
  if (service === 's3') return path;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  const normalised = `/${segments.join('/')}${trailing}`;
  return escapeUri(normalised).replace(/%2F/g, '/');
}

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The parts of the SigV4 computation that chunk and trailer signatures chain from. */
export interface SigningContext {
  amzDate: string;
  scope: string;
  /** HMAC-SHA256 of a string to sign with the derived signing key, hex. */
  signString(stringToSign: string): Promise<string>;
}

export function createSigningContext(
  auth: SigV4Auth,
  credentials: SigningCredentials,
  signingDate: Date,
): SigningContext {
  const signer = new SignatureV4({
    credentials,
    region: auth.region,
    service: auth.service,
    sha256: NodeSha256,
  });
  return {
    amzDate: auth.amzDate ?? '',
    scope: auth.scope,
    signString: (stringToSign) =>
      signer.sign(stringToSign, { signingDate, signingRegion: auth.region, signingService: auth.service }),
  };
}

/**
 * The canonical request exactly as the client built it: its own SignedHeaders (whatever
 * they are), header values as received, the query minus X-Amz-Signature, the given payload hash.
 */
export function canonicalRequest(request: RequestParts, auth: SigV4Auth, payloadHash: string): string {
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const canonicalHeaders = getCanonicalHeaders({ headers } as never, undefined, new Set(auth.signedHeaders));
  const names = Object.keys(canonicalHeaders).sort();
  return [
    request.method,
    canonicalPath(request.path, auth.service),
    getCanonicalQuery({ query: request.query } as never),
    ...names.map((name) => `${name}:${canonicalHeaders[name]}`),
    '',
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/** The signature the client should have sent, computed with the secret we hold for its key. */
export async function expectedSignature(
  request: RequestParts,
  auth: SigV4Auth,
  credentials: SigningCredentials,
  payloadHash: string,
  signingDate: Date,
): Promise<string> {
  const stringToSign = [
    SIGV4_ALGORITHM,
    auth.amzDate,
    auth.scope,
    sha256Hex(canonicalRequest(request, auth, payloadHash)),
  ].join('\n');
  return createSigningContext(auth, credentials, signingDate).signString(stringToSign);
}

/** Equal-length hex strings compared without leaking where they differ. */
export function hexEquals(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface VerifiedRequest {
  session: IssuedSession;
  auth: SigV4Auth;
  signingDate: Date;
  /** For aws-chunked bodies: chunk signatures chain from auth.signature with this context. */
  signing: SigningContext;
}

export interface VerifyOptions {
  store: CredentialStore;
  now: Date;
  /** What the client put in the canonical request: x-amz-content-sha256, UNSIGNED-PAYLOAD, or the body's hash. */
  payloadHash: string;
}

/**
 * Checks a request signed with credentials this endpoint issued: known key, matching session
 * token, date within 15 minutes (or presigned URL not yet expired), signature, then expiry.
 * Throws a SigV4Failure; never includes the secret or token in a message.
 */
export async function verifySigV4(
  request: RequestParts,
  auth: SigV4Auth,
  options: VerifyOptions,
): Promise<VerifiedRequest> {
  const { store, now } = options;
  const session = store.lookup(auth.accessKeyId);
  if (!session) {
    throw sigV4Failure('UnknownAccessKey', `access key ${auth.accessKeyId} was not issued by this endpoint`);
  }
  if (auth.securityToken === undefined || !hexEquals(auth.securityToken, session.sessionToken)) {
    throw sigV4Failure(
      'InvalidToken',
      `the security token sent with access key ${auth.accessKeyId} is ${auth.securityToken === undefined ? 'missing' : 'not the one issued with it'}`,
    );
  }
  const signingDate = parseAmzDate(auth.amzDate);
  if (!signingDate)
    throw sigV4Failure('Malformed', 'X-Amz-Date must be present and in the form YYYYMMDDTHHMMSSZ');
  if (auth.amzDate?.slice(0, 8) !== auth.scopeDate) {
    throw sigV4Failure(
      'Malformed',
      `the credential scope date ${auth.scopeDate} is not the date of X-Amz-Date ${auth.amzDate}`,
    );
  }
  if (!auth.signedHeaders.includes('host')) throw sigV4Failure('Malformed', 'the host header must be signed');
  checkTime(auth, signingDate, now);
  const signature = await expectedSignature(request, auth, session, options.payloadHash, signingDate);
  if (!hexEquals(signature, auth.signature)) {
    throw sigV4Failure(
      'SignatureMismatch',
      'the request signature does not match the one computed with the issued secret',
    );
  }
  if (session.expiration.getTime() <= now.getTime()) {
    throw sigV4Failure(
      'Expired',
      `the credentials of access key ${auth.accessKeyId} expired at ${session.expiration.toISOString()}`,
    );
  }
  return { session, auth, signingDate, signing: createSigningContext(auth, session, signingDate) };
}

function checkTime(auth: SigV4Auth, signingDate: Date, now: Date): void {
  const skew = signingDate.getTime() - now.getTime();
  if (auth.location === 'query') {
    if (skew > MAX_SKEW_MS)
      throw sigV4Failure('Skewed', `the request is dated ${auth.amzDate}, in the future`);
    const expiresAt = signingDate.getTime() + (auth.expiresSeconds ?? 0) * 1000;
    if (expiresAt < now.getTime()) {
      throw sigV4Failure(
        'PresignExpired',
        `the presigned URL expired at ${new Date(expiresAt).toISOString()}`,
      );
    }
    return;
  }
  if (Math.abs(skew) > MAX_SKEW_MS) {
    throw sigV4Failure(
      'Skewed',
      `the request time ${auth.amzDate} is ${Math.round(Math.abs(skew) / 60000)} minutes from the endpoint's clock (at most 15 allowed)`,
    );
  }
}

/**
 * The payload hash an S3 request was signed with: x-amz-content-sha256 (required by S3 for
 * header auth), or UNSIGNED-PAYLOAD for presigned URLs unless they carry one.
 */
export function s3PayloadHash(request: RequestParts, auth: SigV4Auth): string | undefined {
  const header = headerValue(request.headers, 'x-amz-content-sha256');
  if (auth.location === 'query')
    return queryValue(request.query, 'X-Amz-Content-Sha256') ?? header ?? UNSIGNED_PAYLOAD;
  return header;
}
