import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResources } from '../../src/local-endpoint/resources';
import { type LocalEndpoint, startLocalEndpoint } from '../../src/local-endpoint/server';
import { CLI, ROOT } from '../helpers/cli';
import { createRootCa, issueLeaf, type TestLeaf } from '../helpers/pki';
import { createSoftHsmToken, importCertificate, importKey, type SoftHsmToken } from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

// bin/rolesanywhere-agent executed directly (as credential_process runs it) starts the CLI from
// its V8 startup snapshot, dist/cli.blob; `node bin/rolesanywhere-agent` (every other e2e test)
// runs dist/cli.js. These tests hold the two to the same behaviour and check when the launcher
// may use the snapshot and when it must fall back.

const BLOB = join(ROOT, 'dist', 'cli.blob');
const STAMP = join(ROOT, 'dist', 'cli.blob.node');
const PIN = '318204';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The launcher as credential_process runs it; the snapshot itself, any command; `node <launcher>`. */
const snapshotRun = (args: string[], env?: NodeJS.ProcessEnv) => exec(CLI, args, env);
const blobRun = (args: string[]) => exec(process.execPath, ['--snapshot-blob', BLOB, '--', CLI, ...args]);
const scriptRun = (args: string[], env?: NodeJS.ProcessEnv) => exec(process.execPath, [CLI, ...args], env);

/**
 * The command line of the process a launcher became, read while it waits on an endpoint that
 * accepts the connection and never answers (exec keeps the pid: sh became node).
 */
async function commandLineOf(launcher: string, env: NodeJS.ProcessEnv, keyArgs: string[]): Promise<string[]> {
  return (await processOf(launcher, env, keyArgs)).argv;
}

/** The command line and environment of the process the launcher became (see commandLineOf). */
async function processOf(
  launcher: string,
  env: NodeJS.ProcessEnv,
  keyArgs: string[],
): Promise<{ argv: string[]; environ: string[] }> {
  const silent: Server = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  const connected = new Promise<void>((resolve) => silent.once('connection', () => resolve()));
  const child = spawn(launcher, [...keyArgs, '--endpoint', `http://127.0.0.1:${port}`], {
    env,
    stdio: 'ignore',
  });
  try {
    await connected;
    const read = (file: string) =>
      readFileSync(`/proc/${child.pid}/${file}`, 'utf8').split('\0').filter(Boolean);
    return { argv: read('cmdline'), environ: read('environ') };
  } finally {
    child.kill('SIGKILL');
    silent.close();
  }
}

describe('bin/rolesanywhere-agent with the startup snapshot', () => {
  const dir = makeTempDir('ra-cli-snapshot-');
  let device: TestLeaf;
  let endpoint: LocalEndpoint;
  let token: SoftHsmToken;
  let arns: string[];
  let fileArgs: string[];

  beforeAll(async () => {
    if (!existsSync(BLOB))
      throw new Error('dist/cli.blob is missing: npm run build makes it (see its warnings)');
    const ca = createRootCa(dir.path);
    device = issueLeaf(dir.path, ca, { name: 'device', keyType: 'rsa-2048' });
    writeFileSync(
      join(dir.path, 'endpoint.yaml'),
      `trustAnchors: [{ name: lab, certificates: ${ca.certPath} }]\nroles: [{ name: LabRole }]\nprofiles: [{ name: lab, roles: [LabRole] }]\n`,
    );
    const resources = loadResources({ config: join(dir.path, 'endpoint.yaml') });
    endpoint = await startLocalEndpoint({ resources, stateDir: dir.path, region: resources.region });
    arns = [
      '--trust-anchor-arn',
      resources.trustAnchors[0]?.arn ?? '',
      '--profile-arn',
      resources.profiles[0]?.arn ?? '',
      '--role-arn',
      resources.roles[0]?.arn ?? '',
    ];
    fileArgs = [
      'credential-process',
      '--certificate',
      device.certPath,
      '--private-key',
      device.keyPath,
      ...arns,
    ];
    token = createSoftHsmToken(dir.path, 'lab', PIN);
    importKey(token, device.keyPath, '01', 'device');
    importCertificate(token, device.certPath, '01', 'device');
  });
  afterAll(async () => {
    await endpoint?.close();
    dir.remove();
  });

  it('runs from the snapshot when executed directly', async () => {
    const argv = await commandLineOf(CLI, process.env, fileArgs);
    expect(argv.slice(1, 5)).toEqual(['--snapshot-blob', `${ROOT}/bin/../dist/cli.blob`, '--', CLI]);
    expect(argv[0]).toBe(readFileSync(STAMP, 'utf8').trim());
  });

  it('asks glibc for transparent huge pages in the snapshot run', async () => {
    const { environ } = await processOf(CLI, { ...process.env, GLIBC_TUNABLES: '' }, fileArgs);
    expect(environ).toContain('GLIBC_TUNABLES=glibc.malloc.hugetlb=1');
  });

  it('prints credential_process JSON with key files, nothing on stderr', async () => {
    const result = await snapshotRun([...fileArgs, '--endpoint', endpoint.url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(Object.keys(output)).toEqual([
      'Version',
      'AccessKeyId',
      'SecretAccessKey',
      'SessionToken',
      'Expiration',
    ]);
    expect(output.AccessKeyId).toMatch(/^ASIA/);
  });

  it('loads the PKCS#11 module at run time: a key on a SoftHSM token', async () => {
    const uri = `pkcs11:token=lab;object=device?module-path=${token.module}&pin-value=${PIN}`;
    const args = ['credential-process', '--private-key', uri, ...arns, '--endpoint', endpoint.url];
    const result = await snapshotRun(args, token.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).AccessKeyId).toMatch(/^ASIA/);
  });

  it.each([
    ['top-level help', ['--help']],
    ['command help', ['credential-process', '--help']],
    ['version', ['version']],
    ['no command', []],
    ['an unknown flag', ['credential-process', '--certifcate', 'x']],
    ['a missing required flag', ['credential-process', '--certificate', 'x']],
    [
      'a certificate file that is not there',
      ['read-certificate-data', '--certificate', '/nonexistent/leaf.pem'],
    ],
    ['the certificate data', () => ['read-certificate-data', '--certificate', device.certPath]],
  ] as Array<[string, string[] | (() => string[])]>)(
    'says the same as dist/cli.js for %s',
    async (_, given) => {
      const args = typeof given === 'function' ? given() : given;
      const [fromSnapshot, fromScript] = await Promise.all([blobRun(args), scriptRun(args)]);
      expect(fromSnapshot).toEqual(fromScript);
      expect(`${fromSnapshot.stdout}${fromSnapshot.stderr}`).not.toBe('');
    },
  );

  it('signs the same bytes as dist/cli.js (RSA PKCS#1 v1.5 is deterministic)', async () => {
    const args = [
      'sign-string',
      '--certificate',
      device.certPath,
      '--private-key',
      device.keyPath,
      '--format',
      'text',
    ];
    const [fromSnapshot, fromScript] = await Promise.all([snapshotRun(args), scriptRun(args)]);
    expect(fromSnapshot.code).toBe(0);
    expect(fromSnapshot.stdout).toMatch(/^[0-9a-f]{512}$/);
    expect(fromSnapshot).toEqual(fromScript);
  });

  it('starts only the per-call commands from the snapshot', async () => {
    // A flag before the command: the launcher cannot tell, dist/cli.js runs it.
    const argv = await commandLineOf(CLI, process.env, ['--debug', ...fileArgs]);
    expect(argv.slice(0, 3)).toEqual(['node', CLI, '--debug']);
    const result = await snapshotRun(['--debug', ...fileArgs, '--endpoint', endpoint.url]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).AccessKeyId).toMatch(/^ASIA/);
  });

  describe('falls back to dist/cli.js', () => {
    // A copy of the launcher beside links to the real dist/ files: its own stamp can be changed.
    const layout = join(dir.path, 'install');
    const launcher = join(layout, 'bin', 'rolesanywhere-agent');
    const stamp = join(layout, 'dist', 'cli.blob.node');
    const withoutSnapshot = (argv: string[]) => !argv.includes('--snapshot-blob');

    beforeAll(() => {
      mkdirSync(join(layout, 'bin'), { recursive: true });
      mkdirSync(join(layout, 'dist'));
      writeFileSync(launcher, readFileSync(CLI), { mode: 0o755 });
      symlinkSync(join(ROOT, 'dist', 'cli.js'), join(layout, 'dist', 'cli.js'));
      symlinkSync(BLOB, join(layout, 'dist', 'cli.blob'));
      symlinkSync(join(ROOT, 'node_modules'), join(layout, 'node_modules'));
    });
    const restamp = (node: string, mtime?: Date) => {
      writeFileSync(stamp, `${node}\n`);
      if (mtime) utimesSync(stamp, mtime, mtime);
    };

    it('but uses the snapshot from another directory, and through a symlink, when its stamp matches', async () => {
      const built = readFileSync(STAMP, 'utf8').trim();
      writeFileSync(stamp, `${built}\n`);
      // The stamp's mtime is the node binary's, to the nanosecond: copy it with touch -r.
      await exec('touch', ['-r', built, stamp]);
      const link = join(dir.path, 'rolesanywhere-agent');
      symlinkSync(launcher, link);
      for (const path of [launcher, link]) {
        const argv = await commandLineOf(path, process.env, fileArgs);
        expect(argv).toContain('--snapshot-blob');
        expect(argv[argv.indexOf('--') + 1]).toBe(launcher);
      }
      const result = await exec(link, [...fileArgs, '--endpoint', endpoint.url]);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout).AccessKeyId).toMatch(/^ASIA/);
    });

    it('when NODE_OPTIONS is set (V8 flags there would not match the snapshot)', async () => {
      const env = { ...process.env, NODE_OPTIONS: '--max-old-space-size=256' };
      expect(withoutSnapshot(await commandLineOf(CLI, env, fileArgs))).toBe(true);
      const result = await snapshotRun([...fileArgs, '--endpoint', endpoint.url], env);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout).AccessKeyId).toMatch(/^ASIA/);
    });

    it('when the node binary changed since the snapshot was built (its mtime differs)', async () => {
      restamp(readFileSync(STAMP, 'utf8').trim(), new Date('2001-02-03T04:05:06Z'));
      expect(withoutSnapshot(await commandLineOf(launcher, process.env, fileArgs))).toBe(true);
      const result = await exec(launcher, ['version']);
      expect(result).toEqual({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+/), stderr: '' });
    });

    it('when the node on PATH is another binary', async () => {
      const other = join(dir.path, 'other-node');
      mkdirSync(other);
      writeFileSync(join(other, 'node'), `#!/bin/sh\nexec ${process.execPath} "$@"\n`, { mode: 0o755 });
      const env = { ...process.env, PATH: `${other}:${process.env.PATH}` };
      expect(withoutSnapshot(await commandLineOf(CLI, env, fileArgs))).toBe(true);
      const result = await snapshotRun(['version'], env);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
    });

    it('when the stamp names a node binary that is not there, or is missing', async () => {
      restamp('/nonexistent/node');
      expect(withoutSnapshot(await commandLineOf(launcher, process.env, fileArgs))).toBe(true);
      rmSync(stamp);
      expect(withoutSnapshot(await commandLineOf(launcher, process.env, fileArgs))).toBe(true);
      const result = await exec(launcher, ['version']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });
  });
});
