import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import { loadNative, type NativeBindings, type PeerCredentials, socketFd } from '../../../src/native';
import { makeTempDir } from '../../helpers/tmp';
import { asNobody, CAN_SWITCH_USER, ensureNativeBuilt, NOBODY } from './native-support';

let native: NativeBindings;
const dir = makeTempDir('ra-peercred-');
let server: Server;
let socketPath: string;
// Each accepted connection's credentials, read the way the agent will: on 'connection'.
let pending: Array<(result: PeerCredentials | Error) => void> = [];
const children: ChildProcess[] = [];

function nextPeer(): Promise<PeerCredentials> {
  return new Promise((resolve, reject) => {
    pending.push((result) => (result instanceof Error ? reject(result) : resolve(result)));
  });
}

beforeAll(async () => {
  ensureNativeBuilt();
  native = loadNative();
  // nobody must reach the socket: the directory is 0700 from mkdtemp.
  chmodSync(dir.path, 0o711);
  socketPath = join(dir.path, 'agent.sock');
  server = createServer((socket: Socket) => {
    const settle = pending.shift();
    let result: PeerCredentials | Error;
    try {
      result = native.peerCredentials(socketFd(socket));
    } catch (error) {
      result = error as Error;
    }
    socket.end();
    settle?.(result);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  chmodSync(socketPath, 0o666);
});

afterEach(() => {
  pending = [];
});

afterAll(async () => {
  for (const child of children) child.kill();
  await new Promise((resolve) => server.close(resolve));
  dir.remove();
});

// A node process that connects, then waits for the server to end the connection.
const CLIENT_SCRIPT = `
const c = require('node:net').connect(process.argv[1]);
c.on('error', (e) => { console.error(e.message); process.exit(3); });
c.resume();
c.on('end', () => process.exit(0));
`;

function runClient(argv: string[]): Promise<{ pid: number; code: number | null }> {
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ pid: child.pid ?? -1, code }));
  });
}

describe('peerCredentials', () => {
  it('names this process for a client in this process', async () => {
    const peer = nextPeer();
    const client = connect(socketPath);
    client.resume();
    const creds = await peer;
    client.destroy();
    expect(creds).toMatchObject({ pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() });
    // The kernel lists supplementary groups only (Node's getgroups adds the effective gid).
    expect(creds.groups).toEqual(expect.any(Array));
    for (const gid of creds.groups ?? []) expect(process.getgroups?.()).toContain(gid);
  });

  it('names the client process, not the server, for a client in another process', async () => {
    const peer = nextPeer();
    const run = runClient([process.execPath, '-e', CLIENT_SCRIPT, socketPath]);
    const creds = await peer;
    const { pid, code } = await run;
    expect(code).toBe(0);
    expect(pid).not.toBe(process.pid);
    expect(creds).toMatchObject({ pid, uid: process.getuid?.(), gid: process.getgid?.() });
  });

  it.skipIf(!CAN_SWITCH_USER)('shows uid and gid 65534 for a client run as nobody', async () => {
    const peer = nextPeer();
    const run = runClient(asNobody([process.execPath, '-e', CLIENT_SCRIPT, socketPath]));
    const creds = await peer;
    const { pid, code } = await run;
    expect(code).toBe(0);
    // setpriv execs node: the connecting process is the child itself.
    expect(creds).toEqual({ pid, uid: NOBODY, gid: NOBODY, groups: [] });
  });

  it.skipIf(!CAN_SWITCH_USER)('lists the supplementary groups the client had when it connected', async () => {
    const peer = nextPeer();
    const run = runClient([
      '/usr/bin/setpriv',
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      '--groups=4242,4343',
      process.execPath,
      '-e',
      CLIENT_SCRIPT,
      socketPath,
    ]);
    const creds = await peer;
    expect((await run).code).toBe(0);
    expect(creds).toMatchObject({ uid: NOBODY, gid: NOBODY });
    expect([...(creds.groups ?? [])].sort()).toEqual([4242, 4343]);
  });

  it('refuses a TCP connection rather than inventing a uid', async () => {
    const tcp = createServer();
    const accepted = new Promise<Socket>((resolve) => tcp.once('connection', resolve));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const address = tcp.address();
    if (address === null || typeof address === 'string') throw new Error('no tcp address');
    const client = connect(address.port, '127.0.0.1');
    const socket = await accepted;
    try {
      const error = (() => {
        try {
          native.peerCredentials(socketFd(socket));
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(AgentError);
      expect((error as AgentError).code).toBe('PEER_CREDENTIALS_UNAVAILABLE');
      expect((error as AgentError).message).toContain('not a unix-domain socket');
      expect(((error as AgentError).cause as NodeJS.ErrnoException).code).toBe('EAFNOSUPPORT');
    } finally {
      client.destroy();
      socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    }
  });

  it('throws AgentError with the errno of a non-socket or closed fd', () => {
    const fd = openSync(join(dir.path, 'plain-file'), 'w');
    try {
      expect(() => native.peerCredentials(fd)).toThrow(/socket fd \d+: Socket operation on non-socket/);
      try {
        native.peerCredentials(fd);
      } catch (error) {
        expect(error).toBeInstanceOf(AgentError);
        const cause = (error as AgentError).cause as NodeJS.ErrnoException;
        expect(cause.code).toBe('ENOTSOCK');
        expect(cause.syscall).toBe('getsockname');
        expect(typeof cause.errno).toBe('number');
      }
    } finally {
      closeSync(fd);
    }
    // The fd is closed now (and not reused: nothing opened since).
    let closed: unknown;
    try {
      native.peerCredentials(fd);
    } catch (error) {
      closed = error;
    }
    expect(((closed as AgentError).cause as NodeJS.ErrnoException).code).toBe('EBADF');
    expect((closed as AgentError).hint).toContain('retry');
  });

  it('rejects a fd that is not a non-negative integer with a TypeError', () => {
    expect(() => native.peerCredentials('3' as unknown as number)).toThrow(TypeError);
    expect(() => native.peerCredentials(-1)).toThrow(TypeError);
    expect(() => native.peerCredentials(1.5)).toThrow(TypeError);
    expect(() => native.peerCredentials(Number.NaN)).toThrow(TypeError);
  });
});
