import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { awsError } from './aws-error';
import { compareKeys, isValidBucketName, keyToSegments, segmentsToKey } from './s3-keys';

/** What S3 remembers about an object besides its bytes. */
export interface ObjectMeta {
  key: string;
  size: number;
  /** With the quotes, as S3 sends it. */
  etag: string;
  lastModified: string;
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  /** x-amz-meta-* without the prefix, lower-case names. */
  metadata: Record<string, string>;
  /** Full-object additional checksum, when the client sent one with a single PUT. */
  checksum?: { algorithm: string; value: string };
  partsCount?: number;
}

export interface UploadInfo {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: string;
  meta: Omit<ObjectMeta, 'key' | 'size' | 'etag' | 'lastModified'>;
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
}

const META_SUFFIX = '%meta';
const BUCKET_SUFFIX = '%bucket';

function noSuchBucket(bucket: string) {
  return awsError(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
}

function noSuchKey(key: string) {
  return awsError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
}

function noSuchUpload(uploadId: string) {
  return awsError(
    404,
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId },
  );
}

function keyConflict(key: string) {
  return awsError(
    409,
    'KeyConflict',
    `the local endpoint stores keys as files and folders: '${key}' collides with an object that is also used as a folder ('a' and 'a/b' cannot both exist)`,
    { Key: key },
  );
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Refuses a path that would leave `root` (the key encoding already prevents it; this is the backstop). */
function inside(root: string, path: string): string {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep))
    throw awsError(400, 'InvalidArgument', 'invalid object key');
  return path;
}

export interface S3Store {
  /** A fresh path in the store's temp folder, on the same file system as the objects (rename is atomic). */
  tempPath(): string;
  listBuckets(): Promise<{ name: string; creationDate: string }[]>;
  createBucket(bucket: string, now: Date): Promise<'created' | 'exists'>;
  requireBucket(bucket: string): Promise<void>;
  deleteBucket(bucket: string): Promise<void>;
  /** Moves a fully written temp file into place as the object, with its metadata. */
  putObject(bucket: string, key: string, tempFile: string, meta: ObjectMeta): Promise<void>;
  headObject(bucket: string, key: string): Promise<ObjectMeta>;
  /** An open handle on the object's bytes (so a concurrent replace cannot change them mid-read). */
  openObject(bucket: string, key: string): Promise<{ handle: FileHandle; meta: ObjectMeta }>;
  deleteObject(bucket: string, key: string): Promise<void>;
  /** Every key under `prefix`, in S3 order. */
  listKeys(bucket: string, prefix: string): Promise<string[]>;
  createUpload(bucket: string, key: string, meta: UploadInfo['meta'], now: Date): Promise<string>;
  getUpload(bucket: string, key: string, uploadId: string): Promise<UploadInfo>;
  putPart(upload: UploadInfo, part: PartInfo, tempFile: string): Promise<void>;
  listParts(upload: UploadInfo): Promise<PartInfo[]>;
  partPath(upload: UploadInfo, partNumber: number): string;
  deleteUpload(uploadId: string): Promise<void>;
}

/** S3 buckets as folders under `root` (<state dir>/s3): objects as files, metadata beside them in .meta. */
export function createS3Store(root: string): S3Store {
  const tmpDir = join(root, '.tmp');
  const metaRoot = join(root, '.meta');
  const uploadsRoot = join(root, '.uploads');
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });

  const bucketDir = (bucket: string) => {
    if (!isValidBucketName(bucket)) throw noSuchBucket(bucket);
    return join(root, bucket);
  };
  const dataPath = (bucket: string, key: string) =>
    inside(bucketDir(bucket), join(bucketDir(bucket), ...keyToSegments(key)));
  const metaPath = (bucket: string, key: string) => {
    const segments = keyToSegments(key);
    const last = segments.pop() ?? '';
    return inside(join(metaRoot, bucket), join(metaRoot, bucket, ...segments, `${last}${META_SUFFIX}`));
  };
  const uploadDir = (uploadId: string) => {
    if (!/^[0-9a-f]{32}$/.test(uploadId)) throw noSuchUpload(uploadId);
    return join(uploadsRoot, uploadId);
  };

  async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const temp = store.tempPath();
    await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
    await rename(temp, path);
  }

  async function isDirectory(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isDirectory();
    } catch {
      return false;
    }
  }

  async function md5OfFile(path: string): Promise<string> {
    const hash = createHash('md5');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /** Metadata of an object, or what can be learnt from the file itself when it was dropped in by hand. */
  async function readMeta(
    bucket: string,
    key: string,
    file: { size: number; mtime: Date },
  ): Promise<ObjectMeta> {
    try {
      const meta = JSON.parse(await readFile(metaPath(bucket, key), 'utf8')) as ObjectMeta;
      if (meta.size === file.size) return meta;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    }
    return {
      key,
      size: file.size,
      etag: `"${await md5OfFile(dataPath(bucket, key))}"`,
      lastModified: file.mtime.toISOString(),
      metadata: {},
    };
  }

  /** Removes folders left empty by a delete, up to (not including) `stop`. */
  async function pruneEmpty(from: string, stop: string): Promise<void> {
    let dir = from;
    while (dir.startsWith(stop + sep) && dir !== stop) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      dir = dirname(dir);
    }
  }

  async function walk(dir: string, names: string[], out: string[]): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      // Symbolic links are never followed: a link could point anywhere on the machine.
      if (entry.isDirectory()) await walk(join(dir, entry.name), [...names, entry.name], out);
      else if (entry.isFile()) out.push(segmentsToKey([...names, entry.name]));
    }
  }

  const store: S3Store = {
    tempPath: () => join(tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}`),

    async listBuckets() {
      await mkdir(root, { recursive: true });
      const buckets: { name: string; creationDate: string }[] = [];
      for (const entry of await readdir(root, { withFileTypes: true })) {
        if (!entry.isDirectory() || !isValidBucketName(entry.name)) continue;
        buckets.push({ name: entry.name, creationDate: await creationDate(entry.name) });
      }
      return buckets.sort((a, b) => compareKeys(a.name, b.name));
    },

    async createBucket(bucket, now) {
      if (!isValidBucketName(bucket)) {
        throw awsError(400, 'InvalidBucketName', 'The specified bucket is not valid.', {
          BucketName: bucket,
        });
      }
      await mkdir(tmpDir, { recursive: true });
      try {
        await mkdir(join(root, bucket));
      } catch (error) {
        if (errorCode(error) === 'EEXIST') return 'exists';
        throw error;
      }
      await writeJsonAtomic(join(metaRoot, `${bucket}${BUCKET_SUFFIX}`), { creationDate: now.toISOString() });
      return 'created';
    },

    async requireBucket(bucket) {
      if (!(await isDirectory(bucketDir(bucket)))) throw noSuchBucket(bucket);
    },

    async deleteBucket(bucket) {
      await store.requireBucket(bucket);
      try {
        await rmdir(bucketDir(bucket));
      } catch (error) {
        if (errorCode(error) === 'ENOTEMPTY' || errorCode(error) === 'EEXIST') {
          throw awsError(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', {
            BucketName: bucket,
          });
        }
        throw error;
      }
      await rm(join(metaRoot, bucket), { recursive: true, force: true });
      await rm(join(metaRoot, `${bucket}${BUCKET_SUFFIX}`), { force: true });
    },

    async putObject(bucket, key, tempFile, meta) {
      await store.requireBucket(bucket);
      const target = dataPath(bucket, key);
      // A concurrent delete may prune the folder between mkdir and rename: try twice.
      for (let attempt = 0; ; attempt++) {
        try {
          await mkdir(dirname(target), { recursive: true });
          await rename(tempFile, target);
          break;
        } catch (error) {
          const code = errorCode(error);
          if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
            await rm(tempFile, { force: true });
            throw keyConflict(key);
          }
          if (code !== 'ENOENT' || attempt > 0) throw error;
        }
      }
      await writeJsonAtomic(metaPath(bucket, key), meta);
    },

    async headObject(bucket, key) {
      await store.requireBucket(bucket);
      const path = dataPath(bucket, key);
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        info = await stat(path);
      } catch (error) {
        if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') throw noSuchKey(key);
        throw error;
      }
      if (!info.isFile()) throw noSuchKey(key);
      return readMeta(bucket, key, info);
    },

    async openObject(bucket, key) {
      await store.requireBucket(bucket);
      let handle: FileHandle;
      try {
        handle = await open(dataPath(bucket, key), 'r');
      } catch (error) {
        if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') throw noSuchKey(key);
        throw error;
      }
      try {
        const info = await handle.stat();
        if (!info.isFile()) throw noSuchKey(key);
        return { handle, meta: await readMeta(bucket, key, info) };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },

    async deleteObject(bucket, key) {
      await store.requireBucket(bucket);
      const path = dataPath(bucket, key);
      try {
        if ((await stat(path)).isDirectory()) return;
        await unlink(path);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
      }
      const meta = metaPath(bucket, key);
      await rm(meta, { force: true });
      await pruneEmpty(dirname(path), bucketDir(bucket));
      await pruneEmpty(dirname(meta), join(metaRoot, bucket));
    },

    async listKeys(bucket, prefix) {
      await store.requireBucket(bucket);
      // Only the folder the prefix's complete segments name can hold matching keys.
      const folders = prefix.split('/').slice(0, -1);
      let names: string[] = [];
      try {
        if (folders.length > 0) names = keyToSegments(`${folders.join('/')}/x`).slice(0, -1);
      } catch {
        return []; // a prefix no storable key can have
      }
      const keys: string[] = [];
      await walk(join(bucketDir(bucket), ...names), names, keys);
      return keys.filter((key) => key.startsWith(prefix)).sort(compareKeys);
    },

    async createUpload(bucket, key, meta, now) {
      await store.requireBucket(bucket);
      keyToSegments(key);
      const uploadId = randomBytes(16).toString('hex');
      const info: UploadInfo = { uploadId, bucket, key, initiated: now.toISOString(), meta };
      await mkdir(uploadDir(uploadId), { recursive: true });
      await writeJsonAtomic(join(uploadDir(uploadId), 'upload.json'), info);
      return uploadId;
    },

    async getUpload(bucket, key, uploadId) {
      let info: UploadInfo;
      try {
        info = JSON.parse(await readFile(join(uploadDir(uploadId), 'upload.json'), 'utf8')) as UploadInfo;
      } catch {
        throw noSuchUpload(uploadId);
      }
      if (info.bucket !== bucket || info.key !== key) throw noSuchUpload(uploadId);
      return info;
    },

    partPath: (upload, partNumber) => join(uploadDir(upload.uploadId), `${partNumber}.part`),

    async putPart(upload, part, tempFile) {
      await rename(tempFile, store.partPath(upload, part.partNumber));
      await writeJsonAtomic(join(uploadDir(upload.uploadId), `${part.partNumber}.json`), part);
    },

    async listParts(upload) {
      const parts: PartInfo[] = [];
      for (const name of await readdir(uploadDir(upload.uploadId))) {
        if (!/^\d+\.json$/.test(name)) continue;
        parts.push(JSON.parse(await readFile(join(uploadDir(upload.uploadId), name), 'utf8')) as PartInfo);
      }
      return parts.sort((a, b) => a.partNumber - b.partNumber);
    },

    async deleteUpload(uploadId) {
      await rm(uploadDir(uploadId), { recursive: true, force: true });
    },
  };

  async function creationDate(bucket: string): Promise<string> {
    try {
      const info = JSON.parse(await readFile(join(metaRoot, `${bucket}${BUCKET_SUFFIX}`), 'utf8')) as {
        creationDate: string;
      };
      return info.creationDate;
    } catch {
      return (await stat(join(root, bucket))).mtime.toISOString();
    }
  }

  return store;
}
