import { spawn } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultSocketPath, SYSTEM_SOCKET } from '../../../src/agent/default-socket';
import { activatedSocketFd, listenOnSocket } from '../../../src/agent/listen';
import { makeTempDir } from '../../helpers/tmp';
import { request } from './agent-fixture';

const tmp = makeTempDir('ra-agent-socket-');
afterAll(() => tmp.remove());
let count = 0;

function newDir(mode = 0o700): string {
  const dir = join(tmp.path, `d${++count}`);
  mkdirSync(dir, { mode });
  chmodSync(dir, mode);
  return dir;
}

function okServer(): http.Server {
  return http.createServer((_req, res) => res.end('ok'));
}

async function close(server: http.Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('the agent socket path', () => {
  it('defaults to /run/rolesanywhere-agent as root and to XDG_RUNTIME_DIR otherwise', () => {
    expect(defaultSocketPath(0, {})).toBe(SYSTEM_SOCKET);
    expect(defaultSocketPath(1000, { XDG_RUNTIME_DIR: '/run/user/1000' })).toBe(
      '/run/user/1000/rolesanywhere-agent/agent.sock',
    );
    expect(defaultSocketPath(1000, {})).toBeUndefined();
  });

  it('creates a missing directory 0700 and the socket 0600', async () => {
    const path = join(tmp.path, 'new', 'agent.sock');
    const server = okServer();
    const listening = await listenOnSocket(server, { path });
    try {
      expect(statSync(join(tmp.path, 'new')).mode & 0o777).toBe(0o700);
      expect(lstatSync(path).isSocket()).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect((await request(path, 'GET', '/')).body).toBe('ok');
    } finally {
      await close(server);
      listening.remove();
    }
  });

  it('makes the socket 0660 and group-owned when a group is configured', async () => {
    const path = join(newDir(), 'agent.sock');
    const server = okServer();
    const listening = await listenOnSocket(server, { path, group: 65534 });
    try {
      const stats = statSync(path);
      expect(stats.mode & 0o777).toBe(0o660);
      expect(stats.gid).toBe(65534);
    } finally {
      await close(server);
      listening.remove();
    }
  });

  it('replaces a stale socket (nothing listens) but not a live one', async () => {
    const dir = newDir();
    const path = join(dir, 'agent.sock');
    // A stale socket: bound by a process that then died (SIGKILL: nothing cleaned up).
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((resolve) => child.on('exit', resolve));
    expect(lstatSync(path).isSocket()).toBe(true);
    const server = okServer();
    const listening = await listenOnSocket(server, { path });
    expect((await request(path, 'GET', '/')).body).toBe('ok');

    // Now it is live: a second agent must not take it over.
    const second = okServer();
    await expect(listenOnSocket(second, { path })).rejects.toMatchObject({
      code: 'SOCKET_IN_USE',
      message: `another process is listening on ${path}`,
    });
    expect((await request(path, 'GET', '/')).body).toBe('ok');
    await close(server);
    listening.remove();
  });

  it('refuses a symlink at the socket path, and a file that is not a socket', async () => {
    const dir = newDir();
    const target = join(dir, 'elsewhere.sock');
    const path = join(dir, 'agent.sock');
    symlinkSync(target, path);
    await expect(listenOnSocket(okServer(), { path })).rejects.toMatchObject({
      code: 'SOCKET_PATH_INVALID',
      message: `socket path ${path} is a symbolic link`,
    });
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    const file = join(dir, 'file.sock');
    writeFileSync(file, 'not a socket');
    await expect(listenOnSocket(okServer(), { path: file })).rejects.toMatchObject({
      code: 'SOCKET_PATH_INVALID',
    });
  });

  it('refuses a directory that is a symlink, writable by others, or owned by another user', async () => {
    const real = newDir();
    const link = join(tmp.path, `link${++count}`);
    symlinkSync(real, link);
    await expect(listenOnSocket(okServer(), { path: join(link, 'agent.sock') })).rejects.toMatchObject({
      code: 'SOCKET_DIR_UNSAFE',
      message: expect.stringContaining('is a symbolic link'),
    });
    const open = newDir(0o777);
    await expect(listenOnSocket(okServer(), { path: join(open, 'agent.sock') })).rejects.toMatchObject({
      code: 'SOCKET_DIR_UNSAFE',
      message: expect.stringMatching(/is writable by others \(mode 0777\)/),
    });
    const sticky = newDir(0o1777);
    await expect(listenOnSocket(okServer(), { path: join(sticky, 'agent.sock') })).rejects.toMatchObject({
      code: 'SOCKET_DIR_UNSAFE',
    });
    const foreign = newDir(0o755);
    chownSync(foreign, 65534, 65534);
    await expect(listenOnSocket(okServer(), { path: join(foreign, 'agent.sock') })).rejects.toMatchObject({
      code: 'SOCKET_DIR_UNSAFE',
      message: expect.stringContaining('belongs to uid 65534'),
    });
  });

  it('uses the socket systemd passes (LISTEN_PID/LISTEN_FDS) only when it is meant for this process', async () => {
    expect(activatedSocketFd({ LISTEN_PID: String(process.pid), LISTEN_FDS: '1' })).toBe(3);
    expect(activatedSocketFd({ LISTEN_PID: String(process.pid + 1), LISTEN_FDS: '1' })).toBeUndefined();
    expect(activatedSocketFd({ LISTEN_PID: String(process.pid), LISTEN_FDS: '0' })).toBeUndefined();
    expect(activatedSocketFd({})).toBeUndefined();
    // The path is left alone when LISTEN_* name another process.
    const path = join(newDir(), 'agent.sock');
    const server = okServer();
    const env = { LISTEN_PID: '1', LISTEN_FDS: '1' };
    const listening = await listenOnSocket(server, { path, env });
    expect(listening.activated).toBe(false);
    expect(env.LISTEN_PID).toBe('1');
    await close(server);
    listening.remove();
  });
});
