import { createHash } from 'node:crypto';
import { awsError } from './aws-error';
import { headerValue, type RequestParts } from './request-parts';
import { type ChecksumAlgorithm, createChecksum, isChecksumAlgorithm } from './s3-checksum';
import { chunkedMode, decodeAwsChunked } from './s3-chunked';
import type { SigningContext } from './sigv4-verify';

export interface ReceiveOptions {
  headers: RequestParts['headers'];
  /** x-amz-content-sha256 as signed: a hex hash, UNSIGNED-PAYLOAD or a STREAMING-* mode. */
  payloadHash: string;
  signing: SigningContext;
  seedSignature: string;
  maxBytes: number;
}

export interface ReceivedBody {
  size: number;
  md5Hex: string;
  /** The additional checksum the client asked for (verified when this endpoint can compute it). */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

interface ChecksumPlan {
  algorithm: ChecksumAlgorithm;
  expected: string | undefined;
  fromTrailer: boolean;
}

/** Which additional checksum a PUT carries: a header, a trailer the client announced, or just a request to compute one. */
function checksumPlan(headers: RequestParts['headers']): ChecksumPlan | undefined {
  for (const name of Object.keys(headers)) {
    const match = /^x-amz-checksum-([a-z0-9]+)$/.exec(name);
    if (match?.[1] && isChecksumAlgorithm(match[1])) {
      return { algorithm: match[1], expected: headerValue(headers, name), fromTrailer: false };
    }
  }
  const trailer = /^x-amz-checksum-([a-z0-9]+)$/.exec(
    (headerValue(headers, 'x-amz-trailer') ?? '').trim().toLowerCase(),
  );
  if (trailer?.[1] && isChecksumAlgorithm(trailer[1]))
    return { algorithm: trailer[1], expected: undefined, fromTrailer: true };
  const requested = (headerValue(headers, 'x-amz-sdk-checksum-algorithm') ?? '').toLowerCase();
  if (isChecksumAlgorithm(requested))
    return { algorithm: requested, expected: undefined, fromTrailer: false };
  return undefined;
}

function declaredLength(headers: RequestParts['headers']): number | undefined {
  const value =
    headerValue(headers, 'x-amz-decoded-content-length') ?? headerValue(headers, 'content-length');
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function tooLarge(maxBytes: number) {
  return awsError(
    400,
    'EntityTooLarge',
    `Your proposed upload exceeds the maximum allowed size (${maxBytes} bytes)`,
  );
}

/**
 * Reads an S3 request body: decodes aws-chunked framing (checking chunk signatures), hands the
 * object's bytes to `write`, and checks what the client promised about them: x-amz-content-sha256,
 * Content-MD5, x-amz-decoded-content-length and the additional checksum (header or trailer).
 */
export async function receiveBody(
  source: AsyncIterable<Buffer>,
  options: ReceiveOptions,
  write: (data: Buffer) => Promise<void> | void,
): Promise<ReceivedBody> {
  const { headers, payloadHash, maxBytes } = options;
  const declared = declaredLength(headers);
  if (declared !== undefined && declared > maxBytes) throw tooLarge(maxBytes);
  const mode = chunkedMode(payloadHash);
  const plan = checksumPlan(headers);
  const checksum = plan ? createChecksum(plan.algorithm) : undefined;
  const md5 = createHash('md5');
  const sha256 = /^[0-9a-f]{64}$/.test(payloadHash) ? createHash('sha256') : undefined;
  let size = 0;

  const take = async (data: Buffer) => {
    size += data.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    md5.update(data);
    sha256?.update(data);
    checksum?.update(data);
    await write(data);
  };

  let trailers: Record<string, string> = {};
  if (mode) {
    const decoder = decodeAwsChunked(source, {
      mode,
      signing: options.signing,
      seedSignature: options.seedSignature,
    });
    for (;;) {
      const next = await decoder.next();
      if (next.done) {
        trailers = next.value;
        break;
      }
      await take(next.value);
    }
    const decoded = headerValue(headers, 'x-amz-decoded-content-length');
    if (decoded !== undefined && Number(decoded) !== size) {
      throw awsError(
        400,
        'IncompleteBody',
        `x-amz-decoded-content-length says ${decoded} bytes, the chunks held ${size}`,
      );
    }
  } else {
    for await (const data of source) await take(data);
  }

  if (sha256 && sha256.digest('hex') !== payloadHash) {
    throw awsError(
      400,
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  const md5Bytes = md5.digest();
  const contentMd5 = headerValue(headers, 'content-md5');
  if (contentMd5 !== undefined && contentMd5 !== md5Bytes.toString('base64')) {
    throw awsError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  if (!plan) return { size, md5Hex: md5Bytes.toString('hex') };
  const expected = plan.fromTrailer ? trailers[`x-amz-checksum-${plan.algorithm}`] : plan.expected;
  if (plan.fromTrailer && expected === undefined) {
    throw awsError(
      400,
      'InvalidRequest',
      `x-amz-trailer announced x-amz-checksum-${plan.algorithm} but the body had no such trailer`,
    );
  }
  const computed = checksum?.digest();
  if (expected !== undefined && computed !== undefined && computed !== expected) {
    throw awsError(
      400,
      'BadDigest',
      `The ${plan.algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
    );
  }
  const value = expected ?? computed;
  return {
    size,
    md5Hex: md5Bytes.toString('hex'),
    ...(value === undefined ? {} : { checksum: { algorithm: plan.algorithm, value } }),
  };
}
