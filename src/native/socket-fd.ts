import type { Socket } from 'node:net';
import { AgentError } from '../errors';

/**
 * The OS file descriptor of a connected socket, for peerCredentials().
 *
 * Node has no public API for it: this reads `socket._handle.fd`, which libuv stream handles
 * (Pipe, TCP) have had on Unix since Node 0.x but which is Node-internal. test/unit/native
 * checks it on every supported Node version (the fd must be a socket of this process that
 * peerCredentials can read), so a change in Node shows up as a failed test, not as a silent
 * hole. Throws SOCKET_FD_UNAVAILABLE when the socket is closed or has no fd.
 */
export function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  if (socket.destroyed || typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) {
    throw new AgentError(
      'SOCKET_FD_UNAVAILABLE',
      'cannot read the file descriptor of a client connection (closed, or not a socket this node exposes)',
      { hint: 'the client disconnected before it could be identified; it can simply retry' },
    );
  }
  return fd;
}
