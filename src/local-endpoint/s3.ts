import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { type AwsError, awsError, isAwsError, xmlEscape } from './aws-error';
import type { CredentialStore } from './credential-store';
import { hasQuery, headerValue, queryValue, type RequestParts } from './request-parts';
import { type ReceivedBody, receiveBody } from './s3-body';
import { decodeContinuationToken, encodeContinuationToken, listPage } from './s3-list';
import type { ObjectMeta, S3Store } from './s3-store';
import { element, parseCompleteMultipartUpload, parseDeleteObjects, s3ErrorXml, xmlDocument } from './s3-xml';
import { parseSigV4Auth } from './sigv4-auth';
import {
  isSigV4Failure,
  type SigV4Failure,
  s3PayloadHash,
  UNSIGNED_PAYLOAD,
  type VerifiedRequest,
  verifySigV4,
} from './sigv4-verify';

/** S3's own limits: 5 GiB for one PUT or part, 5 MiB minimum for every part but the last. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
export const MIN_PART_BYTES = 5 * 1024 ** 2;
const MAX_XML_BODY_BYTES = 2 * 1024 ** 2;

export interface S3Request extends RequestParts {
  sourceAddress: string;
  /** The body as it arrives; only operations that take one read it. */
  body: AsyncIterable<Buffer>;
}

export interface S3Context {
  store: CredentialStore;
  objects: S3Store;
  now: () => Date;
  region: string;
  /** Host names under which `<bucket>.<name>` is a virtual-hosted-style request (e.g. localhost). */
  virtualHostSuffixes: string[];
}

/** Bytes [start, end] (inclusive) of an open file; the server streams and closes it. */
export interface FileBody {
  handle: FileHandle;
  start: number;
  end: number;
}

export interface S3Response {
  status: number;
  headers: Record<string, string>;
  body?: string | Buffer;
  file?: FileBody;
}

interface Operation {
  request: S3Request;
  ctx: S3Context;
  bucket: string;
  key: string;
  verified: VerifiedRequest;
  payloadHash: string;
  requestId: string;
}

const XML = { 'content-type': 'application/xml' };
const KNOWN_PAYLOAD_HASHES = new Set([
  UNSIGNED_PAYLOAD,
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
]);
/** Bucket sub-resources this endpoint does not implement (so they are not mistaken for a listing). */
const BUCKET_SUBRESOURCES = [
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'lifecycle',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'tagging',
  'uploads',
  'versioning',
  'versions',
  'website',
];
const OBJECT_SUBRESOURCES = [
  'acl',
  'attributes',
  'legal-hold',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
];

function notImplemented(what: string): AwsError {
  return awsError(501, 'NotImplemented', `the local endpoint does not implement ${what}`);
}

/** Bucket and key from the Host header (virtual-hosted style) or the path (path style). */
export function addressOf(
  request: RequestParts,
  virtualHostSuffixes: string[],
): { bucket: string; key: string } {
  const host = (headerValue(request.headers, 'host') ?? '').toLowerCase();
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  let rest = request.path;
  let bucket = '';
  for (const suffix of virtualHostSuffixes) {
    if (hostname.endsWith(`.${suffix}`) && hostname.length > suffix.length + 1) {
      bucket = hostname.slice(0, -suffix.length - 1);
      break;
    }
  }
  if (!rest.startsWith('/')) throw awsError(400, 'InvalidURI', "Couldn't parse the specified URI.");
  rest = rest.slice(1);
  if (!bucket) {
    const slash = rest.indexOf('/');
    bucket = decode(slash === -1 ? rest : rest.slice(0, slash));
    rest = slash === -1 ? '' : rest.slice(slash + 1);
  }
  return { bucket, key: decode(rest) };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw awsError(400, 'InvalidURI', "Couldn't parse the specified URI.");
  }
}

const FAILURES: Record<SigV4Failure['reason'], { status: number; code: string; text: string }> = {
  Malformed: {
    status: 400,
    code: 'AuthorizationHeaderMalformed',
    text: 'The authorization header is malformed',
  },
  UnknownAccessKey: {
    status: 403,
    code: 'InvalidAccessKeyId',
    text: 'The AWS Access Key Id you provided does not exist in our records.',
  },
  InvalidToken: {
    status: 400,
    code: 'InvalidToken',
    text: 'The provided token is malformed or otherwise invalid.',
  },
  SignatureMismatch: {
    status: 403,
    code: 'SignatureDoesNotMatch',
    text: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  },
  Skewed: {
    status: 403,
    code: 'RequestTimeTooSkewed',
    text: 'The difference between the request time and the current time is too large.',
  },
  Expired: { status: 400, code: 'ExpiredToken', text: 'The provided token has expired.' },
  PresignExpired: { status: 403, code: 'AccessDenied', text: 'Request has expired' },
};

function fromFailure(failure: SigV4Failure, location: 'header' | 'query' | undefined): AwsError {
  const { status, text } = FAILURES[failure.reason];
  let { code } = FAILURES[failure.reason];
  if (failure.reason === 'Malformed' && location === 'query') code = 'AuthorizationQueryParametersError';
  return awsError(status, code, `${text} (local endpoint: ${failure.message})`);
}

async function authenticate(
  request: S3Request,
  ctx: S3Context,
): Promise<{ verified: VerifiedRequest; payloadHash: string }> {
  const parsed = parseSigV4Auth(request);
  if (parsed.kind === 'none') {
    throw awsError(
      403,
      'AccessDenied',
      'Access Denied (the local endpoint accepts only requests signed with credentials it issued)',
    );
  }
  if (parsed.kind === 'malformed') {
    const location = hasQuery(request.query, 'X-Amz-Algorithm') ? 'query' : 'header';
    throw fromFailure({ name: 'SigV4Failure', reason: 'Malformed', message: parsed.message }, location);
  }
  const { auth } = parsed;
  const payloadHash = s3PayloadHash(request, auth);
  if (payloadHash === undefined) {
    throw awsError(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  if (!/^[0-9a-f]{64}$/.test(payloadHash) && !KNOWN_PAYLOAD_HASHES.has(payloadHash)) {
    throw awsError(
      400,
      'InvalidArgument',
      `x-amz-content-sha256 must be a SHA-256 hex digest, UNSIGNED-PAYLOAD or a supported STREAMING- value, not '${payloadHash.slice(0, 80)}'`,
    );
  }
  try {
    return {
      verified: await verifySigV4(request, auth, { store: ctx.store, now: ctx.now(), payloadHash }),
      payloadHash,
    };
  } catch (error) {
    if (isSigV4Failure(error)) throw fromFailure(error, auth.location);
    throw error;
  }
}

/** Writes the body to a temp file in the store; removes it again if anything about the body is wrong. */
async function receiveToTemp(op: Operation, maxBytes: number): Promise<{ temp: string; body: ReceivedBody }> {
  const temp = op.ctx.objects.tempPath();
  const handle = await open(temp, 'wx', 0o600);
  try {
    const body = await receiveBody(op.request.body, bodyOptions(op, maxBytes), async (data) => {
      await handle.write(data);
    });
    await handle.close();
    return { temp, body };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

async function receiveXml(op: Operation): Promise<string> {
  const parts: Buffer[] = [];
  await receiveBody(op.request.body, bodyOptions(op, MAX_XML_BODY_BYTES), (data) => {
    parts.push(Buffer.from(data));
  });
  return Buffer.concat(parts).toString('utf8');
}

function bodyOptions(op: Operation, maxBytes: number) {
  return {
    headers: op.request.headers,
    payloadHash: op.payloadHash,
    signing: op.verified.signing,
    seedSignature: op.verified.auth.signature,
    maxBytes,
  };
}

/** Content-* headers and x-amz-meta-* that S3 keeps with an object. */
function metaFromHeaders(
  headers: RequestParts['headers'],
): Omit<ObjectMeta, 'key' | 'size' | 'etag' | 'lastModified'> {
  const metadata: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (name.startsWith('x-amz-meta-'))
      metadata[name.slice('x-amz-meta-'.length)] = headerValue(headers, name) ?? '';
  }
  // aws-chunked describes the transfer, not the object.
  const encoding = (headerValue(headers, 'content-encoding') ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '' && value !== 'aws-chunked')
    .join(', ');
  const optional = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  return {
    contentType: headerValue(headers, 'content-type') ?? 'binary/octet-stream',
    contentEncoding: optional(encoding),
    contentDisposition: optional(headerValue(headers, 'content-disposition')),
    contentLanguage: optional(headerValue(headers, 'content-language')),
    cacheControl: optional(headerValue(headers, 'cache-control')),
    expires: optional(headerValue(headers, 'expires')),
    metadata,
  };
}

function objectHeaders(meta: ObjectMeta): Record<string, string> {
  const headers: Record<string, string> = {
    etag: meta.etag,
    'last-modified': new Date(meta.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    'content-type': meta.contentType ?? 'binary/octet-stream',
  };
  if (meta.contentEncoding) headers['content-encoding'] = meta.contentEncoding;
  if (meta.contentDisposition) headers['content-disposition'] = meta.contentDisposition;
  if (meta.contentLanguage) headers['content-language'] = meta.contentLanguage;
  if (meta.cacheControl) headers['cache-control'] = meta.cacheControl;
  if (meta.expires) headers.expires = meta.expires;
  for (const [name, value] of Object.entries(meta.metadata)) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

// ---- service and bucket operations ------------------------------------------------------------

async function listBuckets(op: Operation): Promise<S3Response> {
  const buckets = await op.ctx.objects.listBuckets();
  const owner = ownerXml(op.verified.session.account);
  const inner = buckets
    .map(
      (bucket) =>
        `<Bucket>${element('Name', bucket.name)}${element('CreationDate', bucket.creationDate)}</Bucket>`,
    )
    .join('');
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('ListAllMyBucketsResult', `${owner}<Buckets>${inner}</Buckets>`),
  };
}

function ownerXml(account: string): string {
  const id = createHash('sha256').update(`local-endpoint:${account}`).digest('hex');
  return `<Owner>${element('ID', id)}${element('DisplayName', 'local')}</Owner>`;
}

async function createBucket(op: Operation): Promise<S3Response> {
  await receiveXml(op); // CreateBucketConfiguration: the location is accepted whatever it says
  const outcome = await op.ctx.objects.createBucket(op.bucket, op.ctx.now());
  // us-east-1 answers 200 when the caller already owns the bucket; other regions say so with 409.
  if (outcome === 'exists' && op.ctx.region !== 'us-east-1') {
    throw awsError(
      409,
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      { BucketName: op.bucket },
    );
  }
  return { status: 200, headers: { location: `/${op.bucket}` } };
}

async function headBucket(op: Operation): Promise<S3Response> {
  await op.ctx.objects.requireBucket(op.bucket);
  return { status: 200, headers: { 'x-amz-bucket-region': op.ctx.region } };
}

async function bucketLocation(op: Operation): Promise<S3Response> {
  await op.ctx.objects.requireBucket(op.bucket);
  const region = op.ctx.region === 'us-east-1' ? '' : op.ctx.region;
  return { status: 200, headers: XML, body: xmlDocument('LocationConstraint', xmlEscape(region)) };
}

async function deleteBucket(op: Operation): Promise<S3Response> {
  await op.ctx.objects.deleteBucket(op.bucket);
  return { status: 204, headers: {} };
}

function maxKeysOf(query: RequestParts['query']): number {
  const value = queryValue(query, 'max-keys');
  if (value === undefined) return 1000;
  if (!/^\d+$/.test(value))
    throw awsError(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
  return Math.min(Number(value), 1000);
}

async function listObjects(op: Operation, version: 1 | 2): Promise<S3Response> {
  const { query } = op.request;
  const prefix = queryValue(query, 'prefix') ?? '';
  const delimiter = queryValue(query, 'delimiter') || undefined;
  const maxKeys = maxKeysOf(query);
  const encodingType = queryValue(query, 'encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') {
    throw awsError(400, 'InvalidArgument', 'Invalid Encoding Method specified in Request');
  }
  const encode = (text: string) => (encodingType === 'url' ? encodeURIComponent(text) : text);
  let after: { value: string; isPrefix: boolean } | undefined;
  const token = queryValue(query, 'continuation-token');
  const startAfter = queryValue(query, 'start-after');
  const marker = queryValue(query, 'marker');
  if (version === 2 && token !== undefined) {
    after = decodeContinuationToken(token);
    if (!after) throw awsError(400, 'InvalidArgument', 'The continuation token provided is incorrect');
  } else if (version === 2 && startAfter) {
    after = { value: startAfter, isPrefix: false };
  } else if (version === 1 && marker) {
    after = { value: marker, isPrefix: delimiter !== undefined && marker.endsWith(delimiter) };
  }
  const keys = await op.ctx.objects.listKeys(op.bucket, prefix);
  const page = listPage({ keys, prefix, delimiter, maxKeys, after });
  const contents: string[] = [];
  for (const key of page.contents) {
    let meta: ObjectMeta;
    try {
      meta = await op.ctx.objects.headObject(op.bucket, key);
    } catch (error) {
      if (isAwsError(error) && error.code === 'NoSuchKey') continue; // deleted while listing
      throw error;
    }
    contents.push(
      `<Contents>${element('Key', encode(key))}${element('LastModified', meta.lastModified)}${element('ETag', meta.etag)}` +
        `${element('Size', meta.size)}${element('StorageClass', 'STANDARD')}</Contents>`,
    );
  }
  const prefixes = page.commonPrefixes.map(
    (common) => `<CommonPrefixes>${element('Prefix', encode(common))}</CommonPrefixes>`,
  );
  let head = `${element('Name', op.bucket)}${element('Prefix', encode(prefix))}`;
  if (version === 2) {
    head += element('StartAfter', startAfter === undefined ? undefined : encode(startAfter));
    head += element('ContinuationToken', token);
    if (page.truncated && page.last)
      head += element('NextContinuationToken', encodeContinuationToken(page.last));
    head += element('KeyCount', page.contents.length + page.commonPrefixes.length);
  } else {
    head += element('Marker', encode(marker ?? ''));
    if (page.truncated && page.last && delimiter !== undefined)
      head += element('NextMarker', encode(page.last.value));
  }
  head += `${element('MaxKeys', maxKeys)}${element('Delimiter', delimiter === undefined ? undefined : encode(delimiter))}`;
  head += `${element('EncodingType', encodingType)}${element('IsTruncated', page.truncated)}`;
  return {
    status: 200,
    headers: XML,
    body: xmlDocument('ListBucketResult', head + contents.join('') + prefixes.join('')),
  };
}

async function deleteObjects(op: Operation): Promise<S3Response> {
  await op.ctx.objects.requireBucket(op.bucket);
  const { keys, quiet } = parseDeleteObjects(await receiveXml(op));
  const results: string[] = [];
  for (const key of keys) {
    try {
      await op.ctx.objects.deleteObject(op.bucket, key);
      if (!quiet) results.push(`<Deleted>${element('Key', key)}</Deleted>`);
    } catch (error) {
      if (!isAwsError(error)) throw error;
      results.push(
        `<Error>${element('Key', key)}${element('Code', error.code)}${element('Message', error.message)}</Error>`,
      );
    }
  }
  return { status: 200, headers: XML, body: xmlDocument('DeleteResult', results.join('')) };
}

// ---- object operations ------------------------------------------------------------------------

function checksumHeaders(body: ReceivedBody): Record<string, string> {
  return body.checksum ? { [`x-amz-checksum-${body.checksum.algorithm}`]: body.checksum.value } : {};
}

async function putObject(op: Operation): Promise<S3Response> {
  await op.ctx.objects.requireBucket(op.bucket);
  const { temp, body } = await receiveToTemp(op, MAX_OBJECT_BYTES);
  const meta: ObjectMeta = {
    key: op.key,
    size: body.size,
    etag: `"${body.md5Hex}"`,
    lastModified: op.ctx.now().toISOString(),
    ...metaFromHeaders(op.request.headers),
    ...(body.checksum ? { checksum: body.checksum } : {}),
  };
  try {
    await op.ctx.objects.putObject(op.bucket, op.key, temp, meta);
  } finally {
    await rm(temp, { force: true });
  }
  return { status: 200, headers: { etag: meta.etag, ...checksumHeaders(body) } };
}

/** `bucket/key` (URL-encoded, maybe with a leading '/' and ?versionId) of x-amz-copy-source. */
function copySource(value: string): { bucket: string; key: string } {
  const [path = ''] = value.split('?');
  const trimmed = decode(path.startsWith('/') ? path.slice(1) : path);
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw awsError(
      400,
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
    );
  }
  return { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1) };
}

async function copyObject(op: Operation, sourceHeader: string): Promise<S3Response> {
  const source = copySource(sourceHeader);
  await op.ctx.objects.requireBucket(op.bucket);
  const { handle, meta: sourceMeta } = await op.ctx.objects.openObject(source.bucket, source.key);
  const temp = op.ctx.objects.tempPath();
  const md5 = createHash('md5');
  try {
    const out = await open(temp, 'wx', 0o600);
    try {
      for await (const chunk of handle.createReadStream({ autoClose: false })) {
        md5.update(chunk as Buffer);
        await out.write(chunk as Buffer);
      }
    } finally {
      await out.close();
    }
  } finally {
    await handle.close();
  }
  const replace =
    (headerValue(op.request.headers, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase() === 'REPLACE';
  const described = replace ? metaFromHeaders(op.request.headers) : sourceMeta;
  const meta: ObjectMeta = {
    key: op.key,
    size: sourceMeta.size,
    etag: `"${md5.digest('hex')}"`,
    lastModified: op.ctx.now().toISOString(),
    contentType: described.contentType,
    contentEncoding: described.contentEncoding,
    contentDisposition: described.contentDisposition,
    contentLanguage: described.contentLanguage,
    cacheControl: described.cacheControl,
    expires: described.expires,
    metadata: described.metadata,
    ...(sourceMeta.checksum && !sourceMeta.partsCount ? { checksum: sourceMeta.checksum } : {}),
  };
  try {
    await op.ctx.objects.putObject(op.bucket, op.key, temp, meta);
  } finally {
    await rm(temp, { force: true });
  }
  return {
    status: 200,
    headers: XML,
    body: xmlDocument(
      'CopyObjectResult',
      `${element('LastModified', meta.lastModified)}${element('ETag', meta.etag)}`,
    ),
  };
}

/** A single `bytes=` range as [start, end] inclusive; undefined means the whole object. */
export function parseRange(value: string | undefined, size: number): [number, number] | undefined {
  if (value === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined; // several ranges, or not bytes: whole object
  const [, first = '', last = ''] = match;
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw rangeError(value, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return undefined; // invalid range syntax is ignored, as HTTP says
  }
  if (start >= size) throw rangeError(value, size);
  return [start, end];
}

function rangeError(range: string, size: number): AwsError {
  return awsError(416, 'InvalidRange', 'The requested range is not satisfiable', {
    RangeRequested: range,
    ActualObjectSize: String(size),
  });
}

/** If-Match / If-None-Match / If-(Un)Modified-Since, with S3's precedence. */
function preconditions(headers: RequestParts['headers'], meta: ObjectMeta): 200 | 304 | 412 {
  const etag = meta.etag;
  const modified = new Date(meta.lastModified).getTime();
  const matches = (list: string) => list.split(',').some((tag) => tag.trim() === '*' || tag.trim() === etag);
  const ifMatch = headerValue(headers, 'if-match');
  const ifNoneMatch = headerValue(headers, 'if-none-match');
  const ifModifiedSince = Date.parse(headerValue(headers, 'if-modified-since') ?? '');
  const ifUnmodifiedSince = Date.parse(headerValue(headers, 'if-unmodified-since') ?? '');
  if (ifMatch !== undefined && !matches(ifMatch)) return 412;
  if (
    ifMatch === undefined &&
    !Number.isNaN(ifUnmodifiedSince) &&
    Math.floor(modified / 1000) * 1000 > ifUnmodifiedSince
  ) {
    return 412;
  }
  if (ifNoneMatch !== undefined && matches(ifNoneMatch)) return 304;
  if (
    ifNoneMatch === undefined &&
    !Number.isNaN(ifModifiedSince) &&
    Math.floor(modified / 1000) * 1000 <= ifModifiedSince
  ) {
    return 304;
  }
  return 200;
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

async function getObject(op: Operation, head: boolean): Promise<S3Response> {
  const { handle, meta } = await op.ctx.objects.openObject(op.bucket, op.key);
  try {
    const headers = objectHeaders(meta);
    for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = queryValue(op.request.query, param);
      if (value !== undefined) headers[header] = value;
    }
    const condition = preconditions(op.request.headers, meta);
    if (condition === 412) {
      throw awsError(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        {
          Condition: 'If-Match',
        },
      );
    }
    if (condition === 304) {
      await handle.close();
      return { status: 304, headers: { etag: meta.etag, 'last-modified': headers['last-modified'] ?? '' } };
    }
    const range = parseRange(headerValue(op.request.headers, 'range'), meta.size);
    const wantsChecksum =
      (headerValue(op.request.headers, 'x-amz-checksum-mode') ?? '').toUpperCase() === 'ENABLED';
    if (wantsChecksum && meta.checksum && !range)
      headers[`x-amz-checksum-${meta.checksum.algorithm}`] = meta.checksum.value;
    const [start, end] = range ?? [0, meta.size - 1];
    headers['content-length'] = String(Math.max(0, end - start + 1));
    if (range) headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
    if (head) {
      await handle.close();
      return { status: range ? 206 : 200, headers };
    }
    return { status: range ? 206 : 200, headers, file: { handle, start, end } };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

async function deleteObject(op: Operation): Promise<S3Response> {
  await op.ctx.objects.deleteObject(op.bucket, op.key);
  return { status: 204, headers: {} };
}

// ---- multipart uploads --------------------------------------------------------------------------

async function createMultipartUpload(op: Operation): Promise<S3Response> {
  const meta = metaFromHeaders(op.request.headers);
  const uploadId = await op.ctx.objects.createUpload(op.bucket, op.key, meta, op.ctx.now());
  return {
    status: 200,
    headers: XML,
    body: xmlDocument(
      'InitiateMultipartUploadResult',
      `${element('Bucket', op.bucket)}${element('Key', op.key)}${element('UploadId', uploadId)}`,
    ),
  };
}

function partNumberOf(query: RequestParts['query']): number {
  const value = queryValue(query, 'partNumber') ?? '';
  const partNumber = Number(value);
  if (!/^\d+$/.test(value) || partNumber < 1 || partNumber > 10000) {
    throw awsError(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
  }
  return partNumber;
}

async function uploadPart(op: Operation, uploadId: string): Promise<S3Response> {
  const partNumber = partNumberOf(op.request.query);
  const upload = await op.ctx.objects.getUpload(op.bucket, op.key, uploadId);
  const { temp, body } = await receiveToTemp(op, MAX_OBJECT_BYTES);
  const etag = `"${body.md5Hex}"`;
  try {
    await op.ctx.objects.putPart(upload, { partNumber, etag, size: body.size }, temp);
  } finally {
    await rm(temp, { force: true });
  }
  return { status: 200, headers: { etag, ...checksumHeaders(body) } };
}

async function completeMultipartUpload(op: Operation, uploadId: string): Promise<S3Response> {
  const upload = await op.ctx.objects.getUpload(op.bucket, op.key, uploadId);
  const requested = parseCompleteMultipartUpload(await receiveXml(op));
  const stored = new Map((await op.ctx.objects.listParts(upload)).map((part) => [part.partNumber, part]));
  const unquote = (etag: string) => etag.replace(/^"|"$/g, '');
  // S3's order of complaints: part order, then unknown parts or ETags, then undersized parts.
  requested.forEach((part, index) => {
    const previous = requested[index - 1];
    if (previous && previous.partNumber >= part.partNumber) {
      throw awsError(
        400,
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
        {
          UploadId: uploadId,
        },
      );
    }
  });
  for (const part of requested) {
    const have = stored.get(part.partNumber);
    if (!have || unquote(have.etag) !== unquote(part.etag)) {
      throw awsError(
        400,
        'InvalidPart',
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        { UploadId: uploadId, PartNumber: String(part.partNumber), ETag: part.etag },
      );
    }
  }
  requested.slice(0, -1).forEach((part) => {
    const size = stored.get(part.partNumber)?.size ?? 0;
    if (size < MIN_PART_BYTES) {
      throw awsError(
        400,
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed object size.',
        {
          ProposedSize: String(size),
          MinSizeAllowed: String(MIN_PART_BYTES),
          PartNumber: String(part.partNumber),
        },
      );
    }
  });
  const temp = op.ctx.objects.tempPath();
  const md5s: Buffer[] = [];
  let size = 0;
  const out = await open(temp, 'wx', 0o600);
  try {
    for (const part of requested) {
      const info = stored.get(part.partNumber);
      if (!info) continue;
      md5s.push(Buffer.from(unquote(info.etag), 'hex'));
      size += info.size;
      for await (const chunk of createReadStream(op.ctx.objects.partPath(upload, part.partNumber))) {
        await out.write(chunk as Buffer);
      }
    }
  } catch (error) {
    await out.close();
    await rm(temp, { force: true });
    throw error;
  }
  await out.close();
  const etag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${requested.length}"`;
  const meta: ObjectMeta = {
    key: op.key,
    size,
    etag,
    lastModified: op.ctx.now().toISOString(),
    ...upload.meta,
    partsCount: requested.length,
  };
  try {
    await op.ctx.objects.putObject(op.bucket, op.key, temp, meta);
  } finally {
    await rm(temp, { force: true });
  }
  await op.ctx.objects.deleteUpload(uploadId);
  const host = headerValue(op.request.headers, 'host') ?? 'localhost';
  return {
    status: 200,
    headers: XML,
    body: xmlDocument(
      'CompleteMultipartUploadResult',
      `${element('Location', `http://${host}/${op.bucket}/${encodeURIComponent(op.key).replace(/%2F/g, '/')}`)}` +
        `${element('Bucket', op.bucket)}${element('Key', op.key)}${element('ETag', etag)}`,
    ),
  };
}

async function abortMultipartUpload(op: Operation, uploadId: string): Promise<S3Response> {
  await op.ctx.objects.getUpload(op.bucket, op.key, uploadId);
  await op.ctx.objects.deleteUpload(uploadId);
  return { status: 204, headers: {} };
}

// ---- dispatch -----------------------------------------------------------------------------------

function dispatch(op: Operation): Promise<S3Response> {
  const { method, query, headers } = op.request;
  const has = (name: string) => hasQuery(query, name);
  if (!op.bucket) {
    if (method === 'GET') return listBuckets(op);
    throw awsError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
  if (!op.key) {
    if (method === 'POST' && has('delete')) return deleteObjects(op);
    if (method === 'GET' && has('location')) return bucketLocation(op);
    const subresource = BUCKET_SUBRESOURCES.find(has);
    if (subresource) throw notImplemented(`the bucket ?${subresource} operations`);
    if (method === 'PUT') return createBucket(op);
    if (method === 'HEAD') return headBucket(op);
    if (method === 'GET') return listObjects(op, queryValue(query, 'list-type') === '2' ? 2 : 1);
    if (method === 'DELETE') return deleteBucket(op);
    throw awsError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
  const subresource = OBJECT_SUBRESOURCES.find(has);
  if (subresource) throw notImplemented(`the object ?${subresource} operations`);
  const uploadId = queryValue(query, 'uploadId');
  const copyFrom = headerValue(headers, 'x-amz-copy-source');
  switch (method) {
    case 'PUT':
      if (uploadId !== undefined) {
        if (copyFrom !== undefined) throw notImplemented('UploadPartCopy');
        return uploadPart(op, uploadId);
      }
      return copyFrom !== undefined ? copyObject(op, copyFrom) : putObject(op);
    case 'GET':
    case 'HEAD':
      if (uploadId !== undefined) throw notImplemented('ListParts');
      return getObject(op, method === 'HEAD');
    case 'DELETE':
      return uploadId !== undefined ? abortMultipartUpload(op, uploadId) : deleteObject(op);
    case 'POST':
      if (has('uploads')) return createMultipartUpload(op);
      if (uploadId !== undefined) return completeMultipartUpload(op, uploadId);
      throw notImplemented('this POST operation');
    default:
      throw awsError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
}

function errorResponse(error: AwsError, method: string, requestId: string): S3Response {
  const headers: Record<string, string> = { 'x-amz-request-id': requestId, 'x-amz-id-2': requestId };
  // HEAD answers carry no body, so clients only see the status (404 -> NotFound).
  if (method === 'HEAD') return { status: error.status, headers };
  return { status: error.status, headers: { ...headers, ...XML }, body: s3ErrorXml(error, requestId) };
}

/**
 * A minimal S3 on files: buckets, objects (PUT/GET/HEAD/DELETE, ranges, copy), listings and
 * multipart uploads, for any credentials this endpoint issued (IAM policies are not evaluated).
 */
export async function handleS3(request: S3Request, ctx: S3Context): Promise<S3Response> {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  try {
    const { verified, payloadHash } = await authenticate(request, ctx);
    const { bucket, key } = addressOf(request, ctx.virtualHostSuffixes);
    const response = await dispatch({ request, ctx, bucket, key, verified, payloadHash, requestId });
    response.headers = { 'x-amz-request-id': requestId, 'x-amz-id-2': requestId, ...response.headers };
    return response;
  } catch (error) {
    if (isAwsError(error)) return errorResponse(error, request.method, requestId);
    throw error;
  }
}
