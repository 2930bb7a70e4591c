import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkCredentials, startTestEndpoint, type TestEndpoint } from '../../fixtures/local-endpoint/endpoint';

let endpoint: TestEndpoint;
let s3: S3Client;

beforeAll(async () => {
  endpoint = await startTestEndpoint();
  s3 = new S3Client({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: sdkCredentials(endpoint.issue()),
    forcePathStyle: true,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  s3.destroy();
  await endpoint.stop();
});

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  throw new Error('expected the call to fail');
}

async function getBytes(bucket: string, key: string, range?: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
  return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
}

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

describe('S3 with the AWS SDK for JavaScript (path style)', () => {
  it('creates, lists, heads and deletes buckets', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'bucket-life' }));
    const listed = await s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((bucket) => bucket.Name)).toContain('bucket-life');
    await s3.send(new HeadBucketCommand({ Bucket: 'bucket-life' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bucket-life', Key: 'k', Body: 'x' }));
    expect(await errorName(s3.send(new DeleteBucketCommand({ Bucket: 'bucket-life' })))).toBe(
      'BucketNotEmpty',
    );
    await s3.send(new DeleteObjectCommand({ Bucket: 'bucket-life', Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'bucket-life' }));
    expect(await errorName(s3.send(new HeadBucketCommand({ Bucket: 'bucket-life' })))).toBe('NotFound');
    expect(await errorName(s3.send(new GetObjectCommand({ Bucket: 'bucket-life', Key: 'k' })))).toBe(
      'NoSuchBucket',
    );
    expect(await errorName(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toBe(
      'InvalidBucketName',
    );
  });

  it('stores objects with their metadata, ETag = quoted MD5, and serves ranges', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
    const body = randomBytes(100_000);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'objects',
        Key: 'dir/data.bin',
        Body: body,
        ContentType: 'application/x-test',
        Metadata: { owner: 'edge' },
      }),
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/data.bin' }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.ContentType).toBe('application/x-test');
    expect(head.Metadata).toEqual({ owner: 'edge' });
    expect(head.ETag).toBe(put.ETag);
    expect((await getBytes('objects', 'dir/data.bin')).equals(body)).toBe(true);
    expect((await getBytes('objects', 'dir/data.bin', 'bytes=10-19')).equals(body.subarray(10, 20))).toBe(
      true,
    );
    expect((await getBytes('objects', 'dir/data.bin', 'bytes=-5')).equals(body.subarray(-5))).toBe(true);
    expect((await getBytes('objects', 'dir/data.bin', 'bytes=99990-')).equals(body.subarray(99990))).toBe(
      true,
    );
    expect(await errorName(getBytes('objects', 'dir/data.bin', 'bytes=200000-'))).toBe('InvalidRange');
    expect(await errorName(getBytes('objects', 'dir/missing'))).toBe('NoSuchKey');
    expect(await errorName(s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/missing' })))).toBe(
      'NotFound',
    );
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'empty', Body: '' }));
    expect((await getBytes('objects', 'empty')).length).toBe(0);
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'empty' }))).ETag).toBe(
      `"${md5('')}"`,
    );
    // The file is where the key says, written whole.
    expect(readFileSync(join(endpoint.stateDir, 's3', 'objects', 'dir', 'data.bin')).equals(body)).toBe(true);
  });

  it('takes a streamed body (aws-chunked with a trailing checksum) and returns the checksum on GET', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'streams' }));
    const body = randomBytes(300_000);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'streams',
        Key: 'stream.bin',
        Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]),
        ContentLength: body.length,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'streams', Key: 'stream.bin', ChecksumMode: 'ENABLED' }),
    );
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(bytes.equals(body)).toBe(true);
    expect(got.ChecksumSHA256).toBe(createHash('sha256').update(body).digest('base64'));
  });

  it('lists with prefix, delimiter and continuation tokens', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = [
      'a.txt',
      'logs/2024/01.log',
      'logs/2024/02.log',
      'logs/2025/01.log',
      'logs/readme',
      'z.txt',
    ];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    expect(top.Contents?.map((object) => object.Key)).toEqual(['a.txt', 'z.txt']);
    expect(top.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['logs/']);
    const logs = await s3.send(
      new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'logs/', Delimiter: '/' }),
    );
    expect(logs.Contents?.map((object) => object.Key)).toEqual(['logs/readme']);
    expect(logs.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['logs/2024/', 'logs/2025/']);
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: 'listing' })) {
      pages++;
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      for (const object of page.Contents ?? []) seen.push(object.Key ?? '');
    }
    expect(seen).toEqual(keys);
    expect(pages).toBe(3);
    const first = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'logs/2024/' }));
    expect(first.Contents?.[0]?.ETag).toBe(`"${md5('logs/2024/01.log')}"`);
    expect(first.Contents?.[0]?.Size).toBe('logs/2024/01.log'.length);
  });

  it('copies objects and deletes many at once', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'copies' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'copies', Key: 'src key', Body: 'copy me', Metadata: { a: '1' } }),
    );
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: 'copies', Key: 'dst', CopySource: 'copies/src%20key' }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5('copy me')}"`);
    expect((await getBytes('copies', 'dst')).toString()).toBe('copy me');
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'dst' }))).Metadata).toEqual({
      a: '1',
    });
    const deleted = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'copies',
        Delete: { Objects: [{ Key: 'src key' }, { Key: 'dst' }, { Key: 'never' }] },
      }),
    );
    expect(deleted.Deleted?.map((object) => object.Key).sort()).toEqual(['dst', 'never', 'src key']);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'copies' }))).KeyCount).toBe(0);
  });

  it('assembles multipart uploads with the md5-of-md5s-N ETag, and aborts them', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'multipart' }));
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(1234)];
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: 'multipart',
        Key: 'big/object.bin',
        ContentType: 'application/x-big',
      }),
    );
    const uploaded = [];
    for (const [index, part] of parts.entries()) {
      const response = await s3.send(
        new UploadPartCommand({
          Bucket: 'multipart',
          Key: 'big/object.bin',
          UploadId,
          PartNumber: index + 1,
          Body: part,
        }),
      );
      expect(response.ETag).toBe(`"${md5(part)}"`);
      uploaded.push({ ETag: response.ETag, PartNumber: index + 1 });
    }
    const completed = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'multipart',
        Key: 'big/object.bin',
        UploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );
    const expected = createHash('md5')
      .update(Buffer.concat(parts.map((part) => createHash('md5').update(part).digest())))
      .digest('hex');
    expect(completed.ETag).toBe(`"${expected}-3"`);
    expect((await getBytes('multipart', 'big/object.bin')).equals(Buffer.concat(parts))).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'multipart', Key: 'big/object.bin' }));
    expect(head.ContentType).toBe('application/x-big');

    const aborted = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multipart', Key: 'gone' }));
    await s3.send(
      new UploadPartCommand({
        Bucket: 'multipart',
        Key: 'gone',
        UploadId: aborted.UploadId,
        PartNumber: 1,
        Body: 'x',
      }),
    );
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: 'multipart', Key: 'gone', UploadId: aborted.UploadId }),
    );
    expect(
      await errorName(
        s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: 'multipart',
            Key: 'gone',
            UploadId: aborted.UploadId,
            MultipartUpload: { Parts: [{ ETag: `"${md5('x')}"`, PartNumber: 1 }] },
          }),
        ),
      ),
    ).toBe('NoSuchUpload');
    expect(readdirSync(join(endpoint.stateDir, 's3', '.uploads'))).toEqual([]);
  });

  it('refuses parts below 5 MiB but the last, wrong ETags and unordered parts', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'multipart-bad' }));
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'multipart-bad', Key: 'k' }),
    );
    const etags: string[] = [];
    for (const partNumber of [1, 2]) {
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: 'multipart-bad',
          Key: 'k',
          UploadId,
          PartNumber: partNumber,
          Body: `part ${partNumber}`,
        }),
      );
      etags.push(part.ETag ?? '');
    }
    const complete = (parts: { ETag: string; PartNumber: number }[]) =>
      errorName(
        s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: 'multipart-bad',
            Key: 'k',
            UploadId,
            MultipartUpload: { Parts: parts },
          }),
        ),
      );
    expect(
      await complete([
        { ETag: etags[0] ?? '', PartNumber: 1 },
        { ETag: etags[1] ?? '', PartNumber: 2 },
      ]),
    ).toBe('EntityTooSmall');
    expect(await complete([{ ETag: `"${'0'.repeat(32)}"`, PartNumber: 1 }])).toBe('InvalidPart');
    expect(
      await complete([
        { ETag: etags[1] ?? '', PartNumber: 2 },
        { ETag: etags[0] ?? '', PartNumber: 1 },
      ]),
    ).toBe('InvalidPartOrder');
  });

  it('keeps keys with .., absolute paths and empty segments inside the bucket folder', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'traversal' }));
    const keys = ['../../../escape.txt', '/etc/passwd', 'a/../../b', './x', 'dir/', 'double//slash', 'y/..'];
    for (const key of keys)
      await s3.send(new PutObjectCommand({ Bucket: 'traversal', Key: key, Body: `content of ${key}` }));
    for (const key of keys) expect((await getBytes('traversal', key)).toString()).toBe(`content of ${key}`);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'traversal' }));
    expect(listed.Contents?.map((object) => object.Key).sort()).toEqual([...keys].sort());
    // The only file named escape.txt anywhere under the state dir is the encoded one in the bucket.
    const found = (readdirSync(endpoint.stateDir, { recursive: true }) as string[]).filter((path) =>
      path.endsWith('escape.txt'),
    );
    expect(found).toEqual([join('s3', 'traversal', '%2E%2E', '%2E%2E', '%2E%2E', 'escape.txt')]);
    expect(existsSync(join(endpoint.stateDir, 's3', 'traversal', '%', 'etc', 'passwd'))).toBe(true);
  });

  it('answers 409 when a key would need an object to be a folder', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'conflicts' }));
    await s3.send(new PutObjectCommand({ Bucket: 'conflicts', Key: 'a', Body: 'file' }));
    expect(
      await errorName(s3.send(new PutObjectCommand({ Bucket: 'conflicts', Key: 'a/b', Body: 'x' }))),
    ).toBe('KeyConflict');
    expect((await getBytes('conflicts', 'a')).toString()).toBe('file');
  });
});
