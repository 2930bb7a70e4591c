import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/tmp';
import { asNobody, CAN_SWITCH_USER, CLIENT_PATH, ensureNativeBuilt } from '../unit/native/native-support';

/**
 * native-bindings/build/ra-credential-process against a real HTTP server on a real Unix socket
 * that answers the way the agent does (Content-Length, {"message","hint"} error bodies), plus
 * a raw socket server for what a broken or hostile peer could send.
 */

const CREDENTIALS = Buffer.from(
  '{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"c2VjcmV0+/=","SessionToken":"tök\\u00e9n","Expiration":"2030-01-01T00:00:00Z"}',
);
const NOT_RUNNING_HINT = 'hint: is the agent running? (systemctl status rolesanywhere-agent)';

const dir = makeTempDir('ra-fast-client-');
const agentSocket = join(dir.path, 'agent.sock');
const rawSocket = join(dir.path, 'raw.sock');
let agent: Server;
let raw: NetServer;
const requests: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];
let connections = 0;

function json(status: number, body: unknown): [number, Buffer] {
  return [status, Buffer.from(JSON.stringify(body))];
}

// Answers by profile name, like the agent's GET /v1/profiles/<name>/credentials.
const FIXED: Record<string, [number, Buffer]> = {
  ok: [200, CREDENTIALS],
  newline: [200, Buffer.concat([CREDENTIALS, Buffer.from('\n')])],
  'near-limit': [200, Buffer.alloc(60_000, 'a')],
  big: [200, Buffer.alloc(100_000, 'b')],
  empty: [200, Buffer.alloc(0)],
  denied: json(403, {
    code: 'PEER_NOT_ALLOWED',
    message: 'uid 0 is not allowed to use profile denied',
    hint: 'add the user to allow.users in the agent config',
  }),
  missing: json(404, { code: 'PROFILE_NOT_FOUND', message: "no profile named 'missing'" }),
  // "message" also as a nested key and as a value first: only the top-level field counts.
  nested: json(500, { code: 'message', detail: { message: 'inner' }, message: 'outer \u00e9 \ud83d\ude00' }),
  // Escape sequences in the agent's text must not reach the terminal.
  escape: json(500, { message: 'red \u001b[31malert\u001b[0m\r\nforged: line \u009b1m' }),
  'not-json': [502, Buffer.from('<html>bad gateway</html>')],
};

beforeAll(async () => {
  ensureNativeBuilt();
  chmodSync(dir.path, 0o711);
  agent = createHttpServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers });
    const profile = /^\/v1\/profiles\/([^/]+)\/credentials$/.exec(req.url ?? '')?.[1] ?? '';
    const fixed = FIXED[profile];
    if (fixed !== undefined) {
      res.writeHead(fixed[0], { 'content-type': 'application/json', 'content-length': fixed[1].length });
      res.end(fixed[1]);
    } else if (profile === 'chunked') {
      // No Content-Length: node sends chunked transfer-encoding.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(CREDENTIALS.subarray(0, 10));
      setTimeout(() => res.end(CREDENTIALS.subarray(10)), 20);
    } else if (profile === 'big-chunked') {
      res.writeHead(200);
      for (let i = 0; i < 100; i++) res.write(Buffer.alloc(1000, 'c'));
      res.end();
    } else if (profile === 'silent') {
      // Never answers; the client's deadline must end it. Closed when the client goes.
    } else if (profile === 'drip') {
      // Headers, then a byte every 100 ms: each recv() succeeds, the overall deadline must hold.
      res.writeHead(200, { 'content-length': '1000' });
      const timer = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(timer));
    } else {
      res.writeHead(404).end();
    }
  });
  agent.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => agent.listen(agentSocket, resolve));
  chmodSync(agentSocket, 0o666);

  // Raw answers keyed by profile name, written once the request line has arrived.
  const RAW: Record<string, string> = {
    'close-delimited': `HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${CREDENTIALS.toString()}`,
    ambiguous: `HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    'two-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    garbage: 'SSH-2.0-OpenSSH_9.2\r\n\r\n',
    truncated: 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"Version":1',
    'bad-chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
    'chunk-ext':
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n',
  };
  raw = createNetServer((socket: Socket) => {
    let head = '';
    socket.on('data', (data) => {
      head += data.toString('latin1');
      const profile = /^GET \/v1\/profiles\/([^/]+)\/credentials /.exec(head)?.[1];
      if (profile === undefined || !head.includes('\r\n\r\n')) return;
      socket.end(RAW[profile] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => raw.listen(rawSocket, resolve));
});

afterAll(async () => {
  agent.closeAllConnections();
  await new Promise((resolve) => agent.close(resolve));
  await new Promise((resolve) => raw.close(resolve));
  dir.remove();
});

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

// Asynchronous: the servers live in this process and must keep answering while the client runs.
function client(args: string[], options: { env?: NodeJS.ProcessEnv; argv?: (a: string[]) => string[] } = {}) {
  const argv = (options.argv ?? ((a) => a))([CLIENT_PATH, ...args]);
  const [file, ...rest] = argv as [string, ...string[]];
  const started = Date.now();
  return new Promise<Run>((resolve) => {
    execFile(
      file,
      rest,
      { encoding: 'buffer', env: options.env ?? { PATH: process.env.PATH }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr: stderr.toString('utf8'), ms: Date.now() - started });
      },
    );
  });
}

const viaAgent = (profile: string, ...extra: string[]) =>
  client(['--socket', agentSocket, '--profile', profile, ...extra]);
const viaRaw = (profile: string) => client(['--socket', rawSocket, '--profile', profile, '--timeout', '5']);

describe('ra-credential-process: 200', () => {
  it('prints the body byte for byte and sends the request the agent expects', async () => {
    const before = requests.length;
    const run = await viaAgent('ok');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.equals(CREDENTIALS)).toBe(true);
    expect(requests.length).toBe(before + 1);
    const request = requests.at(-1);
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe('/v1/profiles/ok/credentials');
    expect(request?.headers.host).toBe('localhost');
    expect(request?.headers.connection).toBe('close');
  });

  it('keeps a trailing newline and accepts a body close to the 64 KiB limit', async () => {
    const newline = await viaAgent('newline');
    expect(newline.code).toBe(0);
    expect(newline.stdout.equals(FIXED.newline?.[1] as Buffer)).toBe(true);
    const near = await viaAgent('near-limit');
    expect(near.code).toBe(0);
    expect(near.stdout.length).toBe(60_000);
  });

  it('decodes chunked transfer-encoding (extensions and trailers too)', async () => {
    const run = await viaAgent('chunked');
    expect(run.code).toBe(0);
    expect(run.stdout.equals(CREDENTIALS)).toBe(true);
    const ext = await viaRaw('chunk-ext');
    expect(ext.code).toBe(0);
    expect(ext.stdout.toString()).toBe('abcde');
  });

  it('accepts a body ended by the connection close', async () => {
    const run = await viaRaw('close-delimited');
    expect(run.code).toBe(0);
    expect(run.stdout.equals(CREDENTIALS)).toBe(true);
  });

  it('fails closed on a 200 with an empty body', async () => {
    const run = await viaAgent('empty');
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toContain("error: the agent answered 200 with an empty body for profile 'empty'\n");
  });
});

describe('ra-credential-process: the agent says no', () => {
  it('403: the message and hint from the JSON body, exit 1, nothing on stdout', async () => {
    const run = await viaAgent('denied');
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toBe(
      'error: uid 0 is not allowed to use profile denied\nhint: add the user to allow.users in the agent config\n',
    );
  });

  it('404 without a hint: the message, and a hint naming the profile', async () => {
    const run = await viaAgent('missing');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "error: no profile named 'missing'\nhint: check that profile 'missing' is in the agent's configuration\n",
    );
  });

  it('reads only the top-level "message", decoding JSON escapes and surrogate pairs', async () => {
    const run = await viaAgent('nested');
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe('error: outer \u00e9 \ud83d\ude00');
  });

  it('neutralizes control characters from the agent (no terminal escapes, no forged lines)', async () => {
    const run = await viaAgent('escape');
    expect(run.code).toBe(1);
    const controls = [...run.stderr].filter((c) => {
      const n = c.codePointAt(0) ?? 0;
      return (n < 0x20 && n !== 0x0a) || (n >= 0x7f && n <= 0x9f);
    });
    expect(controls).toEqual([]);
    const lines = run.stderr.split('\n');
    expect(lines).toHaveLength(3); // error:, hint:, and the empty string after the last newline
    expect(lines[0]).toMatch(/^error: red .\[31malert/);
  });

  it('a body that is not JSON: the status line instead', async () => {
    const run = await viaAgent('not-json');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "error: the agent answered HTTP/1.1 502 Bad Gateway\nhint: check the agent's log (journalctl -u rolesanywhere-agent)\n",
    );
  });

  it.each([
    ['ambiguous', 'invalid HTTP answer from the agent at .*: both Content-Length and Transfer-Encoding'],
    ['two-lengths', 'invalid HTTP answer from the agent at .*: conflicting Content-Length headers'],
    ['garbage', 'invalid HTTP answer from the agent at .*: malformed status line'],
    ['truncated', 'the agent at .* closed the connection before a complete answer'],
    ['bad-chunk', 'invalid chunked body from the agent at'],
  ])('rejects a broken answer (%s)', async (profile, message) => {
    const run = await viaRaw(profile);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^error: ${message}`));
  });
});

describe('ra-credential-process: bounded in size and time', () => {
  it.each(['big', 'big-chunked'])('refuses an answer over 64 KiB (%s)', async (profile) => {
    // 'big' announces its Content-Length: refused as soon as the headers arrive.
    const run = await viaAgent(profile);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toContain("error: the agent's answer is larger than 65536 bytes\n");
  });

  it.each(['silent', 'drip'])('gives up at the --timeout deadline (%s)', async (profile) => {
    const run = await viaAgent(profile, '--timeout', '1');
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toContain(`error: no complete answer from the agent at ${agentSocket} within 1 s\n`);
    expect(run.ms).toBeGreaterThanOrEqual(950);
    expect(run.ms).toBeLessThan(3000);
  });
});

describe('ra-credential-process: no agent', () => {
  it('no socket file: exit 1, the socket named, the systemctl hint', async () => {
    const missing = join(dir.path, 'nothing-here.sock');
    const run = await client(['--socket', missing, '--profile', 'ok']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: cannot connect to the agent at ${missing}: No such file or directory\n${NOT_RUNNING_HINT}\n`,
    );
  });

  it('a stale socket nobody listens on: connection refused, same hint', async () => {
    const stale = join(dir.path, 'stale.sock');
    execFileSync('python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      stale,
    ]);
    const run = await client(['--socket', stale, '--profile', 'ok']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: cannot connect to the agent at ${stale}: Connection refused\n${NOT_RUNNING_HINT}\n`,
    );
  });

  it('takes the socket from $ROLESANYWHERE_AGENT_SOCKET when --socket is not given, as the other clients do', async () => {
    const run = await client(['--profile', 'ok'], {
      env: { PATH: process.env.PATH, ROLESANYWHERE_AGENT_SOCKET: agentSocket },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const other = await client(['--socket', join(dir.path, 'nowhere.sock'), '--profile', 'ok'], {
      env: { PATH: process.env.PATH, ROLESANYWHERE_AGENT_SOCKET: agentSocket },
    });
    expect(other.stderr).toContain('nowhere.sock'); // --socket wins
  });

  it.skipIf(process.getuid?.() !== 0 || existsSync('/run/rolesanywhere-agent/agent.sock'))(
    'as root the default socket is /run/rolesanywhere-agent/agent.sock, whatever XDG_RUNTIME_DIR says',
    async () => {
      const run = await client(['--profile', 'ok'], { env: { XDG_RUNTIME_DIR: dir.path } });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('cannot connect to the agent at /run/rolesanywhere-agent/agent.sock:');
    },
  );
});

describe.skipIf(!CAN_SWITCH_USER)('ra-credential-process as another user', () => {
  it('uses $XDG_RUNTIME_DIR/rolesanywhere-agent/agent.sock by default', async () => {
    const runtime = join(dir.path, 'runtime');
    mkdirSync(join(runtime, 'rolesanywhere-agent'), { recursive: true, mode: 0o755 });
    chmodSync(runtime, 0o755);
    const userAgent = createHttpServer((_req, res) => res.writeHead(200).end(CREDENTIALS));
    const path = join(runtime, 'rolesanywhere-agent', 'agent.sock');
    await new Promise<void>((resolve) => userAgent.listen(path, resolve));
    chmodSync(path, 0o666);
    try {
      const run = await client(['--profile', 'ok'], { env: { XDG_RUNTIME_DIR: runtime }, argv: asNobody });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.equals(CREDENTIALS)).toBe(true);
    } finally {
      await new Promise((resolve) => userAgent.close(resolve));
    }
  });

  it('without XDG_RUNTIME_DIR falls back to /run/rolesanywhere-agent/agent.sock', async () => {
    const run = await client(['--profile', 'ok'], { env: {}, argv: asNobody });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the agent at /run/rolesanywhere-agent/agent.sock');
  });

  it('a socket it may not open: permission denied, with a permissions hint', async () => {
    const privateSocket = join(dir.path, 'private.sock');
    const server = createHttpServer((_req, res) => res.writeHead(200).end(CREDENTIALS));
    await new Promise<void>((resolve) => server.listen(privateSocket, resolve));
    chmodSync(privateSocket, 0o600);
    try {
      const run = await client(['--socket', privateSocket, '--profile', 'ok'], { argv: asNobody });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `error: cannot connect to the agent at ${privateSocket}: Permission denied\n`,
      );
      expect(run.stderr).toContain("hint: the agent's socket admits only its own user or group");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('ra-credential-process: usage', () => {
  it.each([
    ['a\r\nX-Injected: 1'],
    ['a b'],
    ['a/../b'],
    ['..'],
    ['.'],
    [''],
    ['x'.repeat(65)],
    ['caf\u00e9'],
  ])('refuses profile name %j with exit 2, before connecting', async (name) => {
    const before = connections;
    const run = await client(['--socket', agentSocket, '--profile', name]);
    expect(run.code).toBe(2);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(
      /^error: invalid profile name '.*': expected 1 to 64 of A-Z a-z 0-9 \. _ -\nhint: usage: /,
    );
    expect(run.stderr).not.toContain('\r');
    expect(connections).toBe(before);
  });

  it('accepts the longest valid name (64 characters) and --name=value forms', async () => {
    const name = `${'A-z.0_'.repeat(10)}abcd`;
    const run = await client([`--socket=${agentSocket}`, `--profile=${name}`, '--timeout=5']);
    expect(run.code).toBe(1); // the server has no such profile: it was asked, so the name passed
    expect(requests.at(-1)?.url).toBe(`/v1/profiles/${name}/credentials`);
  });

  it.each([
    [[], '--profile NAME is required'],
    [['--profile'], '--profile needs a profile name'],
    [['--profile', 'ok', '--bogus'], "unknown argument '--bogus'"],
    [['--profile', 'ok', '--timeout', '0'], "invalid --timeout '0'"],
    [['--profile', 'ok', '--timeout', '5s'], "invalid --timeout '5s'"],
    [['--profile', 'ok', '--socket', `/${'s'.repeat(120)}`], 'socket path too long'],
  ])('exit 2 for %j', async (args, message) => {
    const run = await client(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: ${message}`);
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const run = await client(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toMatch(/^usage: ra-credential-process \[--socket PATH\]/);
  });
});
