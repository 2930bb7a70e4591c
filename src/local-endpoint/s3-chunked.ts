import { createHash, type Hash } from 'node:crypto';
import { awsError } from './aws-error';
import { EMPTY_SHA256, hexEquals, type SigningContext, sha256Hex } from './sigv4-verify';

/** x-amz-content-sha256 values that announce an aws-chunked body. */
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

export type ChunkedMode = 'signed' | 'signed-trailer' | 'unsigned-trailer';

export function chunkedMode(contentSha256: string | undefined): ChunkedMode | undefined {
  if (contentSha256 === STREAMING_SIGNED) return 'signed';
  if (contentSha256 === STREAMING_SIGNED_TRAILER) return 'signed-trailer';
  if (contentSha256 === STREAMING_UNSIGNED_TRAILER) return 'unsigned-trailer';
  return undefined;
}

export interface ChunkedOptions {
  mode: ChunkedMode;
  /** For signed modes: the context of the request's signature, which seeds the chunk chain. */
  signing?: SigningContext;
  seedSignature?: string;
}

const MAX_LINE = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

function framing(message: string) {
  return awsError(400, 'InvalidRequest', `malformed aws-chunked body: ${message}`);
}

function signatureMismatch(what: string) {
  return awsError(
    403,
    'SignatureDoesNotMatch',
    `the ${what} signature does not match the one computed with the issued secret`,
  );
}

/** `<hex size>[;chunk-signature=<sig>]` */
function parseSizeLine(line: string, signed: boolean): { size: number; signature: string | undefined } {
  const [sizeText = '', ...extensions] = line.split(';');
  if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw framing(`bad chunk size line '${line.slice(0, 80)}'`);
  const size = Number.parseInt(sizeText, 16);
  let signature: string | undefined;
  for (const extension of extensions) {
    const [name, value] = extension.split('=', 2);
    if (name === 'chunk-signature') signature = value;
  }
  if (signed && (signature === undefined || !/^[0-9a-f]{64}$/.test(signature))) {
    throw signatureMismatch('chunk');
  }
  return { size, signature };
}

/**
 * Decodes an aws-chunked body as it streams (newer SDKs send one when they add a trailing
 * checksum, signed SDKs when they sign chunk by chunk). Yields the object's bytes; returns the
 * trailing headers (lower-case names). In signed modes every chunk signature, and the trailer's,
 * is checked against the chain that starts at the request's own signature.
 */
export async function* decodeAwsChunked(
  source: AsyncIterable<Buffer>,
  options: ChunkedOptions,
): AsyncGenerator<Buffer, Record<string, string>> {
  const signed = options.mode !== 'unsigned-trailer';
  if (signed && (!options.signing || !options.seedSignature))
    throw new Error('signed aws-chunked needs the signing context');
  let previous = options.seedSignature ?? '';
  let buffer: Buffer = Buffer.alloc(0);
  let state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  let remaining = 0;
  let chunkHash: Hash | undefined;
  let chunkSignature: string | undefined;
  let trailerBytes = 0;
  const trailerLines: string[] = [];

  const verifyChunk = async (dataHash: string) => {
    if (!signed || !options.signing) return;
    const { signing } = options;
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      signing.amzDate,
      signing.scope,
      previous,
      EMPTY_SHA256,
      dataHash,
    ].join('\n');
    if (!hexEquals(await signing.signString(stringToSign), chunkSignature ?? ''))
      throw signatureMismatch('chunk');
    previous = chunkSignature ?? '';
  };

  const finish = async (): Promise<Record<string, string>> => {
    const trailers: Record<string, string> = {};
    let trailerSignature: string | undefined;
    let canonical = '';
    for (const line of trailerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw framing(`bad trailing header '${line.slice(0, 80)}'`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === TRAILER_SIGNATURE) trailerSignature = value;
      else {
        trailers[name] = value;
        canonical += `${name}:${value}\n`;
      }
    }
    if (options.mode === 'signed' && trailerLines.length > 0)
      throw framing('trailing headers on a body signed without them');
    if (options.mode === 'signed-trailer' && options.signing) {
      const { signing } = options;
      const stringToSign = [
        'AWS4-HMAC-SHA256-TRAILER',
        signing.amzDate,
        signing.scope,
        previous,
        sha256Hex(canonical),
      ].join('\n');
      if (!hexEquals(await signing.signString(stringToSign), trailerSignature ?? ''))
        throw signatureMismatch('trailer');
    }
    return trailers;
  };

  let trailers: Record<string, string> = {};
  for await (const piece of source) {
    buffer = buffer.length === 0 ? piece : Buffer.concat([buffer, piece]);
    while (state !== 'done') {
      if (state === 'data') {
        if (buffer.length === 0) break;
        const take = Math.min(remaining, buffer.length);
        const data = buffer.subarray(0, take);
        buffer = buffer.subarray(take);
        remaining -= take;
        chunkHash?.update(data);
        if (remaining === 0) state = 'data-end';
        yield data;
        continue;
      }
      const eol = buffer.indexOf('\r\n');
      if (eol === -1) {
        if (buffer.length > MAX_LINE) throw framing('a line is too long');
        break;
      }
      const line = buffer.subarray(0, eol).toString('latin1');
      buffer = buffer.subarray(eol + 2);
      if (state === 'data-end') {
        if (line !== '') throw framing('chunk data is longer than its declared size');
        await verifyChunk(chunkHash?.digest('hex') ?? '');
        state = 'size';
      } else if (state === 'size') {
        const parsed = parseSizeLine(line, signed);
        chunkSignature = parsed.signature;
        if (parsed.size === 0) {
          await verifyChunk(EMPTY_SHA256);
          state = 'trailer';
        } else {
          remaining = parsed.size;
          chunkHash = signed ? createHash('sha256') : undefined;
          state = 'data';
        }
      } else if (line === '') {
        trailers = await finish();
        state = 'done';
      } else {
        trailerBytes += line.length;
        if (trailerBytes > MAX_TRAILER_BYTES) throw framing('trailing headers are too large');
        trailerLines.push(line);
      }
    }
    if (state === 'done' && buffer.length > 0) throw framing('data after the final chunk');
  }
  if (state !== 'done')
    throw awsError(400, 'IncompleteBody', 'the aws-chunked body ended before its final chunk');
  if (buffer.length > 0) throw framing('data after the final chunk');
  return trailers;
}
