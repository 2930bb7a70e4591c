import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AgentError, describeError } from '../errors';

export interface AtomicWriteOptions {
  /** Mode of the written file, whatever the old file's mode and the umask. Default 0600. */
  mode?: number;
  /** Mode of parent directories created because they were missing. Default 0700. */
  dirMode?: number;
}

/** File systems that cannot fsync a directory say so with these; the rename is done anyway. */
const DIR_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR', 'EBADF']);

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Replaces `path` with `data` so that readers see the old file or the new one, never a part:
 * a temp file in the same directory (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 from the start), write,
 * fsync, rename over `path`, fsync the directory. On any failure the temp file is removed and
 * `path` is untouched. Missing parent directories are created with `dirMode`.
 *
 * A symlink at `path` is replaced by the new file, not written through (rename acts on the link):
 * callers that want to follow a link resolve it first (see credentials-file.ts). When run as
 * root over an existing file, the new file keeps the old owner, so `sudo update` does not leave
 * a user's credentials file owned by root.
 */
export async function atomicWriteFile(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const dir = dirname(path);
  const fail = (error: unknown, what: string): AgentError =>
    new AgentError('FILE_WRITE_FAILED', `could not write ${path}: ${what}: ${describeError(error)}`, {
      hint: `check that ${dir} exists or can be created, is writable by this user and has free space, and that ${path} is not a directory`,
      cause: error,
    });

  try {
    await mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
  } catch (error) {
    throw fail(error, 'cannot create the directory');
  }

  const old = await lstat(path).catch(() => undefined);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  let step = 'cannot create a temporary file';
  try {
    handle = await open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode,
    );
    step = 'cannot write the temporary file';
    await handle.chmod(mode); // the umask may have taken bits away from `mode`
    if (old?.isFile() && process.geteuid?.() === 0) await handle.chown(old.uid, old.gid);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    step = 'cannot replace the file';
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw fail(error, step);
  }
  await syncDirectory(dir).catch((error) => {
    if (!DIR_SYNC_UNSUPPORTED.has(errorCode(error) ?? '')) throw fail(error, 'cannot sync the directory');
  });
}

/** Makes the rename durable: without it a crash can bring the old directory entry back. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
