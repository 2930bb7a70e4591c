import { describe, expect, it } from 'vitest';
import { isAwsError } from '../../../src/local-endpoint/aws-error';
import { createChecksum } from '../../../src/local-endpoint/s3-checksum';
import { decodeAwsChunked } from '../../../src/local-endpoint/s3-chunked';
import { parseSigV4Auth, type SigV4Auth } from '../../../src/local-endpoint/sigv4-auth';
import {
  createSigningContext,
  expectedSignature,
  parseAmzDate,
} from '../../../src/local-endpoint/sigv4-verify';

// AWS's worked examples ("Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks", with and without trailing headers): 66560 bytes of 'a' sent as a
// 65536-byte chunk, a 1024-byte chunk and the final empty one, signed with the documentation's key.
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const amzDate = '20130524T000000Z';
const signingDate = parseAmzDate(amzDate) as Date;

const examples = {
  signed: {
    contentSha256: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    signedHeaders:
      'content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class',
    seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    chunks: [
      'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
      '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
      'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
    ],
    trailer: '',
    trailerSignature: '',
  },
  'signed-trailer': {
    contentSha256: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
    signedHeaders:
      'content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer',
    seed: '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e',
    chunks: [
      'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
      '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
      '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992',
    ],
    trailer: 'x-amz-checksum-crc32c:sOO8/Q==',
    trailerSignature: 'd81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435',
  },
} as const;

type Example = (typeof examples)[keyof typeof examples];

function exampleRequest(example: Example) {
  const headers: Record<string, string> = {
    host: 's3.amazonaws.com',
    'x-amz-date': amzDate,
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'x-amz-content-sha256': example.contentSha256,
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': '66560',
    'content-length': '66824',
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20130524/us-east-1/s3/aws4_request, SignedHeaders=${example.signedHeaders}, Signature=${example.seed}`,
  };
  if (example.trailer) headers['x-amz-trailer'] = 'x-amz-checksum-crc32c';
  const request = { method: 'PUT', path: '/examplebucket/chunkObject.txt', query: {}, headers };
  const parsed = parseSigV4Auth(request);
  if (parsed.kind !== 'sigv4') throw new Error(`example not parsed: ${JSON.stringify(parsed)}`);
  return { request, auth: parsed.auth };
}

function exampleBody(example: Example, chunks: readonly string[] = example.chunks): Buffer {
  let body = `10000;chunk-signature=${chunks[0]}\r\n${'a'.repeat(65536)}\r\n400;chunk-signature=${chunks[1]}\r\n${'a'.repeat(1024)}\r\n0;chunk-signature=${chunks[2]}\r\n`;
  if (example.trailer)
    body += `${example.trailer}\r\nx-amz-trailer-signature:${example.trailerSignature}\r\n`;
  return Buffer.from(`${body}\r\n`);
}

async function* slices(body: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}

async function decode(
  body: Buffer,
  auth: SigV4Auth,
  mode: 'signed' | 'signed-trailer' | 'unsigned-trailer',
  slice = 7000,
) {
  const signing = createSigningContext(auth, credentials, signingDate);
  const generator = decodeAwsChunked(slices(body, slice), { mode, signing, seedSignature: auth.signature });
  const parts: Buffer[] = [];
  for (;;) {
    const next = await generator.next();
    if (next.done) return { data: Buffer.concat(parts), trailers: next.value };
    parts.push(next.value);
  }
}

async function errorOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('aws-chunked bodies (AWS documentation vectors)', () => {
  for (const [mode, example] of Object.entries(examples) as ['signed' | 'signed-trailer', Example][]) {
    it(`computes the documented seed signature (${mode})`, async () => {
      const { request, auth } = exampleRequest(example);
      expect(await expectedSignature(request, auth, credentials, example.contentSha256, signingDate)).toBe(
        example.seed,
      );
    });

    it(`decodes the documented body, verifying every chunk (${mode})`, async () => {
      const { auth } = exampleRequest(example);
      for (const slice of [1, 13, 7000, 70000]) {
        const { data, trailers } = await decode(exampleBody(example), auth, mode, slice);
        expect(data.equals(Buffer.alloc(66560, 'a'))).toBe(true);
        if (example.trailer) expect(trailers).toEqual({ 'x-amz-checksum-crc32c': 'sOO8/Q==' });
      }
    });
  }

  it('computes the crc32c the trailer example carries', () => {
    const checksum = createChecksum('crc32c');
    checksum?.update(Buffer.alloc(66560, 'a'));
    expect(checksum?.digest()).toBe('sOO8/Q==');
  });

  it('refuses a changed byte, a changed, swapped or dropped chunk signature', async () => {
    const example = examples.signed;
    const { auth } = exampleRequest(example);
    const good = exampleBody(example);
    const changedByte = Buffer.from(good);
    changedByte[200] = 'b'.charCodeAt(0);
    const cases = [
      changedByte,
      exampleBody(example, [example.chunks[0], '0'.repeat(64), example.chunks[2]]),
      exampleBody(example, [example.chunks[1], example.chunks[0], example.chunks[2]]),
      Buffer.from(
        `10000;chunk-signature=${example.chunks[0]}\r\n${'a'.repeat(65536)}\r\n0;chunk-signature=${example.chunks[2]}\r\n\r\n`,
      ),
    ];
    for (const body of cases) {
      const error = await errorOf(decode(body, auth, 'signed'));
      expect(isAwsError(error) && error.code).toBe('SignatureDoesNotMatch');
    }
  });

  it('refuses a changed trailer or trailer signature', async () => {
    const example = examples['signed-trailer'];
    const { auth } = exampleRequest(example);
    const good = exampleBody(example).toString('latin1');
    for (const body of [
      good.replace('sOO8/Q==', 'AAAAAA=='),
      good.replace(example.trailerSignature, example.seed),
    ]) {
      const error = await errorOf(decode(Buffer.from(body, 'latin1'), auth, 'signed-trailer'));
      expect(isAwsError(error) && error.code).toBe('SignatureDoesNotMatch');
    }
  });

  it('decodes an unsigned-trailer body and reports a truncated one', async () => {
    const { auth } = exampleRequest(examples.signed);
    const body = Buffer.from(`5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n`);
    const { data, trailers } = await decode(body, auth, 'unsigned-trailer', 3);
    expect(data.toString()).toBe('hello world');
    expect(trailers).toEqual({ 'x-amz-checksum-crc32': 'DUoRhQ==' });
    const crc = createChecksum('crc32');
    crc?.update(Buffer.from('hello world'));
    expect(crc?.digest()).toBe('DUoRhQ==');
    const error = await errorOf(decode(body.subarray(0, 20), auth, 'unsigned-trailer'));
    expect(isAwsError(error) && error.code).toBe('IncompleteBody');
  });
});
