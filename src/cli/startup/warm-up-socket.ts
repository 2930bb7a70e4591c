import { connect } from 'node:net';

/**
 * One request and answer over loopback TCP to `port`, where the snapshot build runs a peer
 * (scripts/build-snapshot.mjs), the socket closed before it resolves: the startup snapshot then
 * holds node:net's client code compiled (connect, corked write, read, end), which a CreateSession
 * call runs under node:http (itself not allowed in a snapshot). Without a port, or when the peer
 * is not there, it resolves all the same: the warm-up is only shorter.
 */
export function warmUpSocket(port: number | undefined): Promise<void> {
  if (port === undefined || !Number.isInteger(port) || port <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const client = connect({ host: '127.0.0.1', port });
    client.setNoDelay(true);
    client.on('connect', () => {
      // Head and body corked into one writev, as node:http sends a request.
      client.cork();
      client.write('POST /sessions HTTP/1.1\r\ncontent-length: 2\r\n\r\n');
      client.write('{}');
      process.nextTick(() => client.uncork());
    });
    client.on('data', () => client.end());
    client.on('error', () => client.destroy());
    client.on('close', () => resolve());
  });
}
