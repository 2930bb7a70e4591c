import { lstat, readFile, readlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AgentError, describeError } from '../errors';
import { atomicWriteFile } from './atomic-write';
import { checkCredentials } from './check-credentials';
import { updateIniProfile } from './ini-profile';
import type { Credentials } from './types';

/** Same limit as the kernel's ELOOP: a longer chain is a loop or an attack. */
const MAX_LINKS = 40;

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function unsafe(path: string, why: string, hint: string): AgentError {
  return new AgentError('UNSAFE_CREDENTIALS_FILE', `refusing to write credentials file ${path}: ${why}`, {
    hint,
  });
}

/**
 * The file to replace. A symlink (e.g. from a dotfiles repository) is followed, so the link
 * stays a link and the file it names is replaced atomically, but only when every link in the
 * chain belongs to this user or to root: otherwise another user could point it at a file of
 * ours (or of root's, when `update` runs as root) and have us overwrite it. Links may point
 * anywhere that passes this test (dotfile managers keep the real file outside ~/.aws). The
 * target must be a regular file; a dangling link is refused rather than guessed at.
 */
async function resolveTarget(path: string): Promise<string> {
  const uid = process.geteuid?.() ?? -1;
  let current = resolve(path);
  for (let hops = 0; hops <= MAX_LINKS; hops += 1) {
    const stat = await lstat(current).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw new AgentError(
        'CREDENTIALS_FILE_UNREADABLE',
        `cannot inspect ${current}: ${describeError(error)}`,
        {
          hint: 'check the permissions of its directory',
          cause: error,
        },
      );
    });
    if (!stat) {
      if (hops === 0) return current;
      throw unsafe(
        path,
        `the symlink points to ${current}, which does not exist`,
        'create that file or remove the link',
      );
    }
    if (stat.isFile()) return current;
    if (!stat.isSymbolicLink()) {
      throw unsafe(
        path,
        `${current} is not a regular file`,
        'point AWS_SHARED_CREDENTIALS_FILE (or the path option) at a regular file',
      );
    }
    if (stat.uid !== uid && stat.uid !== 0) {
      throw unsafe(
        path,
        `the symlink ${current} belongs to uid ${stat.uid}, not to this user`,
        'remove the link or replace it with a link you own',
      );
    }
    current = resolve(dirname(current), await readlink(current));
  }
  throw unsafe(path, 'too many levels of symlinks', 'remove the symlink loop');
}

async function readExisting(path: string): Promise<string> {
  try {
    return (await readFile(path)).toString('latin1');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return '';
    throw new AgentError(
      'CREDENTIALS_FILE_UNREADABLE',
      `cannot read credentials file ${path}: ${describeError(error)}`,
      {
        hint: 'check its permissions, or point AWS_SHARED_CREDENTIALS_FILE at another file',
        cause: error,
      },
    );
  }
}

/**
 * Writes `credentials` into `profile` of the AWS shared credentials file at `path`, keeping every
 * other byte (see ini-profile.ts for the rules). The write is atomic (atomic-write.ts) and the
 * result is mode 0600 even if the old file was 0644: aws_signing_helper keeps an existing file's
 * mode, leaving secrets world-readable; we do not. A missing parent directory is created 0700.
 * Concurrent writers do not tear the file, but the last one wins (no lock).
 */
export async function updateCredentialsFile(
  path: string,
  profile: string,
  credentials: Credentials,
): Promise<void> {
  const checked = checkCredentials(credentials, 'update');
  const target = await resolveTarget(path);
  const content = await readExisting(target);
  const updated = updateIniProfile(content, Buffer.from(profile, 'utf8').toString('latin1'), {
    set: {
      aws_access_key_id: checked.accessKeyId,
      aws_secret_access_key: checked.secretAccessKey,
      aws_session_token: checked.sessionToken,
    },
    // Older tools (boto2) read this name; a stale copy would shadow the new token for them.
    replaceIfPresent: { aws_security_token: checked.sessionToken },
  });
  await atomicWriteFile(target, Buffer.from(updated, 'latin1'), { mode: 0o600, dirMode: 0o700 });
}
