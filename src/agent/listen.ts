import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { AgentError, describeError } from '../errors';
import { clearStaleSocket, prepareSocketDirectory, socketMode } from './socket-path';

/** First fd systemd passes (SD_LISTEN_FDS_START). */
const SD_LISTEN_FDS_START = 3;

/** The fd systemd socket activation handed over (LISTEN_PID is us, LISTEN_FDS >= 1), else undefined. */
export function activatedSocketFd(
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
): number | undefined {
  if (env.LISTEN_PID !== String(pid)) return undefined;
  const count = Number(env.LISTEN_FDS);
  if (!Number.isInteger(count) || count < 1) return undefined;
  return SD_LISTEN_FDS_START;
}

export interface Listening {
  /** The socket path; undefined when systemd passed the socket (it owns the path). */
  path: string | undefined;
  activated: boolean;
  /** Removes the socket file if it is still the one we made. */
  remove(): void;
}

function listenOn(
  server: Server,
  target: { path: string; backlog?: number } | { fd: number; backlog?: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(target, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Binds `server` to the agent socket: the fd systemd passed (socket activation), else `path`
 * in a safe directory, replacing only a stale socket; mode 0600 (0660 and group-owned when a
 * group is configured), set through the umask so there is no moment with wider access.
 */
export async function listenOnSocket(
  server: Server,
  options: { path: string; group?: number; env?: NodeJS.ProcessEnv; backlog?: number },
): Promise<Listening> {
  // A burst of clients (a fleet of cron jobs) queues in the kernel instead of failing with EAGAIN.
  const backlog = options.backlog ?? 511;
  const env = options.env ?? process.env;
  const fd = activatedSocketFd(env);
  if (fd !== undefined) {
    // Children must not think the socket is theirs.
    delete env.LISTEN_PID;
    delete env.LISTEN_FDS;
    delete env.LISTEN_FDNAMES;
    await listenOn(server, { fd, backlog });
    return { path: undefined, activated: true, remove() {} };
  }

  const { path, group } = options;
  prepareSocketDirectory(path, group);
  await clearStaleSocket(path);
  const mode = socketMode(group);
  const previous = process.umask(0o777 & ~mode);
  try {
    await listenOn(server, { path, backlog });
  } catch (error) {
    throw new AgentError('SOCKET_LISTEN_FAILED', `cannot listen on ${path}: ${describeError(error)}`, {
      hint: 'check that the directory exists and the agent user may write to it',
      cause: error,
    });
  } finally {
    process.umask(previous);
  }
  if (group !== undefined) chownSync(path, -1, group);
  chmodSync(path, mode);
  const inode = lstatSync(path).ino;
  return {
    path,
    activated: false,
    remove() {
      try {
        if (lstatSync(path).ino === inode) unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
}
