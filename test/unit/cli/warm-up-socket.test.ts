import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { warmUpSocket } from '../../../src/cli/startup/warm-up-socket';

const tcpHandles = () => process.getActiveResourcesInfo().filter((name) => name.startsWith('TCPSocket'));

let server: Server | undefined;
afterEach(() => server?.close());

/** A loopback peer as scripts/build-snapshot.mjs runs it, recording what it received. */
async function peer(received: string[]): Promise<number> {
  server = createServer((socket) => {
    socket.once('data', (data) => {
      received.push(data.toString());
      socket.end('HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}');
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function settled(count: number): Promise<void> {
  // A closed handle leaves the list when libuv has closed it, a turn or two of the loop later.
  for (let turn = 0; turn < 20 && tcpHandles().length > count; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('warmUpSocket', () => {
  it('sends one request to the peer, reads the answer and closes its socket', async () => {
    const received: string[] = [];
    const port = await peer(received);
    const before = tcpHandles().length;
    await warmUpSocket(port);
    await settled(before);
    expect(received).toEqual(['POST /sessions HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}']);
    expect(tcpHandles()).toHaveLength(before);
  });

  it('resolves without a peer: no port, or nothing listening', async () => {
    await expect(warmUpSocket(undefined)).resolves.toBeUndefined();
    const port = await peer([]);
    server?.close();
    server = undefined;
    await expect(warmUpSocket(port)).resolves.toBeUndefined();
  });
});
