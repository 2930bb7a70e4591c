import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHopLimit } from '../../../src/imds/hop-limit';
import { type ImdsServer, startImdsServer } from '../../../src/imds/imds-server';
import { loadNative, socketFd } from '../../../src/native';

describe('hop limit', () => {
  let server: ImdsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('accepts 1..255 only', () => {
    expect(checkHopLimit(1)).toBe(1);
    expect(checkHopLimit(255)).toBe(255);
    for (const bad of [0, 256, 1.5, Number.NaN]) {
      expect(() => checkHopLimit(bad)).toThrow(expect.objectContaining({ code: 'INVALID_HOP_LIMIT' }));
    }
  });

  it.each([
    ['127.0.0.1', 1],
    ['::1', 3],
  ])('is set on every socket the server accepts (%s, %i)', async (host, hops) => {
    const native = loadNative();
    const seen: number[] = [];
    server = await startImdsServer({
      host,
      port: 0,
      roleName: 'EdgeBackupRole',
      provider: async () => {
        throw new Error('not used');
      },
      onConnection: (socket: Socket) => {
        const fd = socketFd(socket);
        const before = native.getHopLimit(fd);
        native.setHopLimit(fd, hops);
        seen.push(before, native.getHopLimit(fd));
      },
    });
    const client = createConnection({ host, port: server.port });
    await new Promise((resolve) => client.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.destroy();
    // The kernel default (64 here) before, the requested limit after.
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(hops);
    expect(seen[1]).toBe(hops);
  });

  it('refuses bad arguments and non-IP sockets', () => {
    const native = loadNative();
    expect(() => native.setHopLimit(-1, 5)).toThrow(TypeError);
    expect(() => native.setHopLimit(0, 0)).toThrow(TypeError);
    expect(() => native.setHopLimit(0, 256)).toThrow(TypeError);
    expect(() => native.setHopLimit(0, 5)).toThrow(expect.objectContaining({ code: 'HOP_LIMIT_NOT_SET' }));
  });
});
