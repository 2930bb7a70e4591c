import { readlinkSync, statSync } from 'node:fs';
import { connect, createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import { socketFd } from '../../../src/native';
import { makeTempDir } from '../../helpers/tmp';

// socketFd reads Node-internal state (socket._handle.fd): these tests are what notices a Node
// version that changes it.
const dir = makeTempDir('ra-socketfd-');
const socketPath = join(dir.path, 's.sock');
const server = createServer();

beforeAll(() => new Promise<void>((resolve) => server.listen(socketPath, resolve)));
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  dir.remove();
});

async function acceptedPair(): Promise<{ client: Socket; accepted: Socket }> {
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(socketPath);
  await new Promise((resolve) => client.once('connect', resolve));
  return { client, accepted: await accepted };
}

describe('socketFd', () => {
  it('gives the fd of the accepted connection, a socket open in this process', async () => {
    const { client, accepted } = await acceptedPair();
    try {
      const serverFd = socketFd(accepted);
      const clientFd = socketFd(client);
      expect(serverFd).not.toBe(clientFd);
      for (const fd of [serverFd, clientFd]) {
        expect(readlinkSync(`/proc/self/fd/${fd}`)).toMatch(/^socket:\[\d+\]$/);
        expect(statSync(`/proc/self/fd/${fd}`).isSocket()).toBe(true);
      }
      // Two ends of one connection are two different sockets (inodes).
      expect(readlinkSync(`/proc/self/fd/${serverFd}`)).not.toBe(readlinkSync(`/proc/self/fd/${clientFd}`));
    } finally {
      client.destroy();
      accepted.destroy();
    }
  });

  it('throws SOCKET_FD_UNAVAILABLE for a destroyed or never-connected socket', async () => {
    const { client, accepted } = await acceptedPair();
    accepted.destroy();
    client.destroy();
    for (const socket of [accepted, client, new Socket()]) {
      let error: unknown;
      try {
        socketFd(socket);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AgentError);
      expect((error as AgentError).code).toBe('SOCKET_FD_UNAVAILABLE');
    }
  });
});
