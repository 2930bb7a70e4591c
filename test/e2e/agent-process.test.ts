import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli';
import { makeTempDir } from '../helpers/tmp';
import {
  type CannedEndpoint,
  fileProfileYaml,
  freshCredentials,
  makePki,
  type Pki,
  readLines,
  request,
  startCannedEndpoint,
  waitFor,
} from '../unit/agent/agent-fixture';
import {
  type AgentProcess,
  cliWithoutNative,
  ROOT,
  removeAgentEntry,
  rssKib,
  runEntry,
  spawnEntry,
  waitUntilHealthy,
} from '../unit/agent/agent-process';
import { pipeline, prng, semanticGarbage } from '../unit/agent/fuzz-requests';
import { SECRET_ACCESS_KEY, SESSION_TOKEN } from '../unit/rolesanywhere/canned-endpoint';

const run = promisify(execFile);
const tmp = makeTempDir('ra-agent-e2e-');
let pki: Pki;
let endpoint: CannedEndpoint;
let count = 0;

beforeAll(async () => {
  pki = makePki(tmp.path);
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
});

afterAll(async () => {
  await endpoint?.close();
  removeAgentEntry();
  tmp.remove();
});

function writeConfig(text: string): string {
  const path = join(tmp.path, `agent-${++count}.yaml`);
  writeFileSync(path, text);
  return path;
}

interface Running {
  process: AgentProcess;
  socket: string;
  config: string;
  audit: string;
}

async function startAgentProcess(configText: string, extraArgs: string[] = []): Promise<Running> {
  const config = writeConfig(configText);
  const socket = join(tmp.path, `run-${count}`, 'agent.sock');
  const audit = join(tmp.path, `audit-${count}.log`);
  const agent = await spawnEntry([
    'agent',
    '--config',
    config,
    '--socket',
    socket,
    '--audit-log',
    audit,
    ...extraArgs,
  ]);
  await waitUntilHealthy(agent, socket);
  return { process: agent, socket, config, audit };
}

async function stop(running: Running): Promise<number | null> {
  running.process.child.kill('SIGTERM');
  return running.process.exited;
}

const profiles = (...names: string[]) =>
  ['profiles:', ...names.map((name) => fileProfileYaml(name, pki.leaf, endpoint.url))].join('\n');

describe('the agent command as a process', () => {
  it('--check-config exits 0 on a valid config and 1 with every problem named by file, line and key', async () => {
    const good = writeConfig(profiles('edge'));
    const ok = await runEntry(['agent', '--config', good, '--check-config']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe(`config ${good} is valid: 1 profile (edge)\n`);
    expect(ok.code).toBe(0);

    const bad = writeConfig(`${profiles('edge')}\n    durationSeconds: 5\n  other:\n    roleArn: nope\n`);
    const failed = await runEntry(['agent', '--config', bad, '--check-config']);
    expect(failed.code).toBe(1);
    const lines = failed.stderr.trim().split('\n');
    expect(lines).toContain(
      `error: ${bad}:11: profiles.edge.durationSeconds: session duration 5 is not a whole number of seconds from 900 to 43200`,
    );
    expect(lines.some((line) => line.startsWith(`error: ${bad}:13: profiles.other.roleArn: `))).toBe(true);
    expect(lines.some((line) => line.startsWith(`error: ${bad}:12: profiles.other: has no key`))).toBe(true);
    expect(lines.at(-1)).toMatch(/^hint: fix the config file/);
  });

  it('refuses a PIN on the command line without echoing it', async () => {
    const result = await runEntry(['agent', '--config', writeConfig(profiles('edge')), '--pin', '918273']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: refusing a PIN on the command line/);
    expect(result.stderr).not.toContain('918273');
  });

  it('runs under the launcher with the small-heap V8 flags it sets for the agent', async () => {
    const socket = join(tmp.path, 'launcher', 'agent.sock');
    const agent = await spawnEntry(['agent', '--config', writeConfig(profiles('edge')), '--socket', socket], {
      wrap: () => [CLI, []],
    });
    try {
      await waitFor(() => existsSync(socket), 15_000, `agent on ${socket} (stderr: ${agent.stderr()})`);
      // The launcher execs node: the pid is node's, and its arguments carry the flags.
      const argv = readFileSync(`/proc/${agent.child.pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toEqual(
        expect.arrayContaining([
          '--max-semi-space-size=2',
          '--v8-pool-size=2',
          '--single-threaded-gc',
          'agent',
        ]),
      );
    } finally {
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    }
  });

  it('refuses to start when it cannot open the audit log, naming it, and leaves no socket', async () => {
    const socket = join(tmp.path, 'no-audit', 'agent.sock');
    const audit = '/proc/rolesanywhere-agent/audit.log';
    const result = await runEntry([
      'agent',
      '--config',
      writeConfig(profiles('edge')),
      '--socket',
      socket,
      '--audit-log',
      audit,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: cannot open the audit log ${audit}: `));
    expect(result.stderr).toMatch(/\nhint: give --audit-log/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(socket)).toBe(false);
  });

  it('refuses to start when the native addon (peer credentials) is unavailable: fail closed', async () => {
    const socket = join(tmp.path, 'no-native', 'agent.sock');
    const result = await runEntry(['agent', '--config', writeConfig(profiles('edge')), '--socket', socket], {
      entry: await cliWithoutNative(),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: refusing to start: the native addon that identifies clients is unavailable/,
    );
    expect(existsSync(socket)).toBe(false);
  });

  it('reloads on SIGHUP keeping the unchanged profile cache, and drains on SIGTERM with exit code 0', async () => {
    endpoint.requests.length = 0;
    const running = await startAgentProcess(profiles('edge'));
    await waitFor(() => endpoint.requests.length === 1, 10_000, 'first CreateSession');
    const before = (await request(running.socket, 'GET', '/v1/profiles/edge/credentials')).json();

    writeFileSync(running.config, profiles('edge', 'added'));
    running.process.child.kill('SIGHUP');
    await waitFor(
      async () => (await request(running.socket, 'GET', '/v1/profiles/added/credentials')).status === 200,
      10_000,
      'reloaded profile',
    );
    expect(endpoint.requests).toHaveLength(2); // only the new profile's CreateSession
    expect((await request(running.socket, 'GET', '/v1/profiles/edge/credentials')).json()).toEqual(before);
    expect(running.process.stderr()).toMatch(/"msg":"config reloaded"/);

    // A request in flight when SIGTERM arrives is finished, then the agent exits 0.
    const { connect } = await import('node:net');
    const body = JSON.stringify({ digest: 'SHA256', data: Buffer.from('late').toString('base64') });
    const client = connect(running.socket);
    const answer = new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      client.on('data', (chunk) => chunks.push(chunk));
      client.on('close', () => resolve(Buffer.concat(chunks).toString()));
    });
    client.write(
      `POST /v1/profiles/edge/sign HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    running.process.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.write(body.slice(5));
    expect(await answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(await running.process.exited).toBe(0);
    expect(existsSync(running.socket)).toBe(false);
    const stderr = running.process.stderr();
    expect(stderr).toMatch(/"msg":"draining"/);
    expect(stderr).toMatch(/"msg":"agent stopped"/);
    expect(stderr).not.toContain(SECRET_ACCESS_KEY);
    expect(stderr).not.toContain(SESSION_TOKEN);
  });

  it('serves ra-credential-process (the C client) and credential-process --agent, also as botocore credential_process', async () => {
    const running = await startAgentProcess(profiles('edge'));
    try {
      const fast = join(ROOT, 'native-bindings', 'build', 'ra-credential-process');
      const native = await run(fast, ['--socket', running.socket, '--profile', 'edge']);
      expect(JSON.parse(native.stdout).SecretAccessKey).toBe(SECRET_ACCESS_KEY);
      const missing = await run(fast, ['--socket', running.socket, '--profile', 'nope']).catch(
        (error) => error,
      );
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('no profile named "nope"');

      const cli = await runEntry(['credential-process', '--agent', running.socket, '--profile', 'edge']);
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout)).toMatchObject({
        Version: 1,
        AccessKeyId: 'ASIAEXAMPLEACCESSKEY',
        SessionToken: SESSION_TOKEN,
      });
      const refused = await runEntry(['credential-process', '--agent', running.socket]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^error: --agent needs --profile NAME/);
      const mixed = await runEntry([
        'credential-process',
        '--agent',
        running.socket,
        '--profile',
        'edge',
        '--certificate',
        'x.pem',
      ]);
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toContain('leave out --certificate');
      const noAgent = await runEntry([
        'credential-process',
        '--agent',
        join(tmp.path, 'nothing.sock'),
        '--profile',
        'edge',
      ]);
      expect(noAgent.code).toBe(1);
      expect(noAgent.stderr).toMatch(/^error: no agent is listening on .*nothing\.sock\nhint: start it/);

      // botocore runs both as credential_process, exactly as the AWS SDKs and CLI do.
      const awsConfig = join(tmp.path, 'aws-config');
      const entry = (await import('../unit/agent/agent-process')).agentEntry;
      writeFileSync(
        awsConfig,
        [
          '[profile native]',
          `credential_process = ${fast} --socket ${running.socket} --profile edge`,
          '[profile node]',
          `credential_process = ${process.execPath} ${await entry()} credential-process --agent ${running.socket} --profile edge`,
          '',
        ].join('\n'),
      );
      for (const profile of ['native', 'node']) {
        const { stdout } = await run(
          'python3',
          [
            '-c',
            'import boto3,sys; c=boto3.Session(profile_name=sys.argv[1]).get_credentials().get_frozen_credentials(); print(c.access_key, c.token[-8:])',
            profile,
          ],
          {
            env: {
              ...process.env,
              AWS_CONFIG_FILE: awsConfig,
              AWS_SHARED_CREDENTIALS_FILE: join(tmp.path, 'none'),
            },
          },
        );
        expect(stdout.trim()).toBe(`ASIAEXAMPLEACCESSKEY ${SESSION_TOKEN.slice(-8)}`);
      }
    } finally {
      expect(await stop(running)).toBe(0);
    }
  });

  it('takes its socket from systemd socket activation (LISTEN_FDS, fd 3)', async () => {
    const config = writeConfig(profiles('edge'));
    const socket = join(tmp.path, 'activated.sock');
    // python binds and listens as systemd would, then execs the agent with the socket as fd 3.
    const script = [
      'import os, socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
      's.bind(sys.argv[1]); s.listen(64)',
      // The socket may already be fd 3 (dup2 then does nothing): inheritable either way.
      'os.dup2(s.fileno(), 3) if s.fileno() != 3 else None',
      'os.set_inheritable(3, True)',
      "os.environ['LISTEN_FDS'] = '1'; os.environ['LISTEN_PID'] = str(os.getpid())",
      'os.execv(sys.argv[2], sys.argv[2:])',
    ].join('\n');
    const agent = await spawnEntry(
      ['agent', '--config', config, '--socket', join(tmp.path, 'unused', 'agent.sock')],
      {
        wrap: (node, entry) => ['python3', ['-c', script, socket, node, entry]],
      },
    );
    try {
      await waitFor(
        async () =>
          (await request(socket, 'GET', '/v1/health').then(
            (r) => r.status,
            () => 0,
          )) === 200,
        15_000,
        `activated agent (stderr ${agent.stderr().slice(-300)})`,
      );
      expect((await request(socket, 'GET', '/v1/profiles/edge/credentials')).status).toBe(200);
      expect(existsSync(join(tmp.path, 'unused'))).toBe(false);
      expect(agent.stderr()).toMatch(/"activated":true/);
    } finally {
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    }
    // The socket belongs to systemd: the agent leaves it in place.
    expect(statSync(socket).isSocket()).toBe(true);
  });

  it('keeps its memory bounded and keeps answering under 250k malformed requests', async () => {
    const running = await startAgentProcess(profiles('edge'), ['--log-level', 'warn']);
    try {
      const pid = running.process.child.pid as number;
      const random = prng(42);
      const round = async (count: number) => {
        const statuses = (
          await Promise.all(
            Array.from({ length: 4 }, () =>
              pipeline(running.socket, count / 4, () => semanticGarbage(random)),
            ),
          )
        ).flat();
        expect(statuses).toHaveLength(count);
        expect(statuses.filter((status) => status >= 500 || status === 0)).toEqual([]);
      };
      // The heap grows to its working size first; after that, more requests must not mean more memory.
      await round(50_000);
      const before = rssKib(pid);
      await round(100_000);
      const middle = rssKib(pid);
      await round(100_000);
      const after = rssKib(pid);
      process.stderr.write(
        `agent rss: ${before} KiB after 50k, ${middle} KiB after 150k, ${after} KiB after 250k malformed requests\n`,
      );
      expect(after - before).toBeLessThan(48 * 1024);
      expect(after - middle).toBeLessThan(24 * 1024);
      const credentials = await request(running.socket, 'GET', '/v1/profiles/edge/credentials');
      expect(credentials.status).toBe(200);
      expect(readLines(running.audit).length).toBeGreaterThan(0);
    } finally {
      expect(await stop(running)).toBe(0);
    }
  });
});
