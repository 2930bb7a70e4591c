import { chmodSync, chownSync, lstatSync, mkdirSync, type Stats, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { AgentError, describeError } from '../errors';

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AgentError('SOCKET_PATH_INVALID', `cannot inspect ${path}: ${describeError(error)}`, {
      hint: 'check the permissions of the socket directory',
      cause: error,
    });
  }
}

/**
 * Makes sure the socket's directory is a real directory that only we (or root) control, so
 * nobody else can swap the socket: created 0700 (0710 and group-owned when clients come
 * through a group) when missing; refused when it is a symlink, writable by others, or owned
 * by another non-root user.
 */
export function prepareSocketDirectory(socketPath: string, group?: number): string {
  const dir = dirname(socketPath);
  let stats = lstatOrUndefined(dir);
  if (!stats) {
    mkdirSync(dir, { recursive: true, mode: group === undefined ? 0o700 : 0o710 });
    if (group !== undefined) {
      chownSync(dir, -1, group);
      chmodSync(dir, 0o710);
    }
    stats = lstatSync(dir);
  }
  if (stats.isSymbolicLink()) {
    throw new AgentError('SOCKET_DIR_UNSAFE', `socket directory ${dir} is a symbolic link`, {
      hint: 'give --socket a path in a real directory owned by the agent user (e.g. /run/rolesanywhere-agent)',
    });
  }
  if (!stats.isDirectory()) {
    throw new AgentError('SOCKET_DIR_UNSAFE', `socket directory ${dir} is not a directory`, {
      hint: 'give --socket a path in a directory owned by the agent user',
    });
  }
  if (stats.mode & 0o002) {
    throw new AgentError(
      'SOCKET_DIR_UNSAFE',
      `socket directory ${dir} is writable by others (mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')}): another user could replace the socket`,
      {
        hint: `chmod o-w ${dir}, or use a private directory such as /run/rolesanywhere-agent (RuntimeDirectory=)`,
      },
    );
  }
  const uid = process.geteuid?.() ?? 0;
  if (stats.uid !== uid && stats.uid !== 0) {
    throw new AgentError(
      'SOCKET_DIR_UNSAFE',
      `socket directory ${dir} belongs to uid ${stats.uid}, not to the agent (uid ${uid}) or root`,
      { hint: `chown the directory to the agent user, or use another --socket path` },
    );
  }
  return dir;
}

/** Resolves true when something accepts a connection on `path`. */
function listening(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (value: boolean) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // it accepted but is slow: someone is there
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Clears the way for a new socket at `path`: nothing there is fine; a stale socket (nobody
 * accepts on it) is removed; a live one, a symlink or any other file is refused.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  const stats = lstatOrUndefined(path);
  if (!stats) return;
  if (stats.isSymbolicLink()) {
    throw new AgentError('SOCKET_PATH_INVALID', `socket path ${path} is a symbolic link`, {
      hint: 'remove the link or give --socket another path; the agent never follows a link for its socket',
    });
  }
  if (!stats.isSocket()) {
    throw new AgentError('SOCKET_PATH_INVALID', `socket path ${path} exists and is not a socket`, {
      hint: 'give --socket a path that does not exist yet (the agent creates the socket)',
    });
  }
  if (await listening(path)) {
    throw new AgentError('SOCKET_IN_USE', `another process is listening on ${path}`, {
      hint: 'stop the other agent first (systemctl stop rolesanywhere-agent), or give --socket another path',
    });
  }
  // Checked again right before removal: the file must still be the socket we found.
  const again = lstatOrUndefined(path);
  if (again && again.ino === stats.ino && again.isSocket()) unlinkSync(path);
}

/** The access mode of the socket: 0600, or 0660 when a group of clients is configured. */
export function socketMode(group: number | undefined): number {
  return group === undefined ? 0o600 : 0o660;
}
