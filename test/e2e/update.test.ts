import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { type CliProcess, startCli } from '../helpers/cli-process';
import { createRootCa, issueLeaf, type TestLeaf } from '../helpers/pki';
import { makeTempDir } from '../helpers/tmp';
import {
  awsError,
  type CannedEndpoint,
  type Responder,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  startCannedEndpoint,
  success,
  successBody,
} from '../unit/rolesanywhere/canned-endpoint';

const TRUST_ANCHOR =
  'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666';
const PROFILE = 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666';
const ROLE = 'arn:aws:iam::123456789012:role/edge-role';

const EXISTING = [
  '# managed by hand; keep this comment',
  '[other]',
  'aws_access_key_id = AKIAOTHEROTHEROTHER1',
  'aws_secret_access_key=other/secret+value',
  '',
  '; the profile update writes',
  '[edge]',
  'region = eu-west-1',
  'aws_access_key_id = OLDOLDOLD',
  '',
  '[after]',
  'output=json',
  '',
].join('\n');

const tmp = makeTempDir('ra-update-');
let leaf: TestLeaf;
let endpoint: CannedEndpoint;
let running: CliProcess | undefined;

beforeAll(async () => {
  const ca = createRootCa(tmp.path, 'Update Test CA');
  leaf = issueLeaf(tmp.path, ca, { name: 'update-device' });
  endpoint = await startCannedEndpoint();
});

afterEach(async () => {
  await running?.stop('SIGKILL');
  running = undefined;
  endpoint.respond(success);
  endpoint.requests.length = 0;
});

afterAll(async () => {
  await endpoint.close();
  tmp.remove();
});

function args(extra: string[] = []): string[] {
  return [
    'update',
    '--certificate',
    leaf.certPath,
    '--private-key',
    leaf.keyPath,
    '--trust-anchor-arn',
    TRUST_ANCHOR,
    '--profile-arn',
    PROFILE,
    '--role-arn',
    ROLE,
    '--endpoint',
    endpoint.url,
    ...extra,
  ];
}

function envFor(file: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: tmp.path, AWS_SHARED_CREDENTIALS_FILE: file };
}

function freshDir(name: string): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir);
  return dir;
}

/** Credentials whose access key id counts the CreateSession calls, expiring `lifetimeMs` after each. */
function numbered(lifetimeMs: number, prefix = 'ASIAREFRESH'): Responder {
  let n = 0;
  return () => {
    n += 1;
    const body = JSON.parse(successBody(new Date(Date.now() + lifetimeMs).toISOString()));
    body.credentialSet[0].credentials.accessKeyId = `${prefix}${String(n).padStart(4, '0')}`;
    return { status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForFile(file: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const content = readFileSync(file, 'utf8');
    if (pattern.test(content)) return content;
    if (Date.now() > deadline) throw new Error(`${file} did not match ${pattern}: ${content}`);
    await sleep(50);
  }
}

const tempFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

describe('update', () => {
  it('--once writes the profile, keeps every other byte, and leaves the file 0600', async () => {
    const dir = freshDir('once');
    const file = join(dir, 'credentials');
    writeFileSync(file, EXISTING);
    chmodSync(file, 0o644);
    const result = await runCli(args(['--once', '--profile', 'edge']), { env: envFor(file) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(
      EXISTING.replace(
        'region = eu-west-1\naws_access_key_id = OLDOLDOLD\n',
        `region = eu-west-1\naws_access_key_id = ASIAEXAMPLEACCESSKEY\naws_secret_access_key = ${SECRET_ACCESS_KEY}\naws_session_token = ${SESSION_TOKEN}\n`,
      ),
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(endpoint.requests).toHaveLength(1);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('--once creates a missing file (and directory) with the default profile', async () => {
    const file = join(tmp.path, 'new-home', '.aws', 'credentials');
    const result = await runCli(args(['--once']), { env: envFor(file) });
    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(
      `[default]\naws_access_key_id = ASIAEXAMPLEACCESSKEY\naws_secret_access_key = ${SECRET_ACCESS_KEY}\naws_session_token = ${SESSION_TOKEN}\n`,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('--once exits non-zero with error and hint when CreateSession fails, leaving the file as it was', async () => {
    endpoint.respond(
      awsError(403, 'AccessDeniedException', 'Untrusted certificate. Insufficient certificate'),
    );
    const dir = freshDir('once-fail');
    const file = join(dir, 'credentials');
    writeFileSync(file, EXISTING);
    chmodSync(file, 0o644);
    const before = statSync(file);
    const result = await runCli(args(['--once', '--profile', 'edge']), { env: envFor(file) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*untrusted certificate/im);
    expect(result.stderr).toMatch(/^hint: /m);
    expect(readFileSync(file, 'utf8')).toBe(EXISTING);
    const after = statSync(file);
    expect(after.mode & 0o777).toBe(0o644);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('refuses a bad profile name or ARN before opening the key', async () => {
    const file = join(tmp.path, 'never-written');
    const badProfile = await runCli(args(['--once', '--profile', '[x]']), { env: envFor(file) });
    expect(badProfile.code).toBe(1);
    expect(badProfile.stderr).toMatch(/^error: invalid credentials-file profile name/m);
    const badArn = await runCli(
      args(['--once']).map((a) => (a === ROLE ? 'arn:aws:iam::123:role/x' : a)),
      { env: envFor(file) },
    );
    expect(badArn.code).toBe(1);
    expect(badArn.stderr).toMatch(/^error: --role-arn/m);
    expect(endpoint.requests).toHaveLength(0);
    expect(() => statSync(file)).toThrow();
  });

  it('keeps the profile fresh, keeps the last credentials through failures, and stops cleanly on SIGTERM', async () => {
    // 5 min + 3 s of life: the refresh point (at least 5 minutes before expiry) comes ~3 s after each fetch.
    endpoint.respond(numbered(303_000));
    const dir = freshDir('long');
    const file = join(dir, 'credentials');
    writeFileSync(file, EXISTING);
    running = startCli(args(['--profile', 'edge']), { env: envFor(file) });
    await waitForFile(file, /ASIAREFRESH0001/);
    await running.waitFor('stderr', /update: wrote profile edge of .*credentials: credentials expire at /);
    const refreshed = await waitForFile(file, /ASIAREFRESH0002/, 20_000);
    expect(refreshed.startsWith('# managed by hand; keep this comment\n[other]\n')).toBe(true);
    expect(refreshed).toContain('[after]\noutput=json\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // The endpoint fails: each failure is one log line, the file keeps the last good credentials.
    const requestsBefore = endpoint.requests.length;
    endpoint.respond(awsError(503, 'ServiceUnavailableException', 'rolesanywhere is having a bad day'));
    await running.waitFor(
      'stderr',
      /update: refresh failed \(.*bad day.*\); .* keeps credentials valid until /,
      20_000,
    );
    expect(endpoint.requests.length).toBeGreaterThan(requestsBefore);
    const kept = readFileSync(file, 'utf8');
    const lastGood = /aws_access_key_id = (ASIAREFRESH\d{4})\n/.exec(kept)?.[1];
    expect(lastGood).toBeDefined();
    await sleep(1_500);
    expect(readFileSync(file, 'utf8')).toContain(`aws_access_key_id = ${lastGood}`);

    // It recovers by itself once the endpoint answers again.
    endpoint.respond(numbered(303_000, 'ASIARECOVER'));
    await waitForFile(file, /aws_access_key_id = ASIARECOVER0001\n/, 20_000);

    const { code, signal } = await running.stop('SIGTERM');
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(running.stderr()).toMatch(/update: stopped by SIGTERM\n$/);
    expect(running.stderr()).not.toContain(SECRET_ACCESS_KEY);
    expect(running.stderr()).not.toContain(SESSION_TOKEN);
    expect(running.stdout()).toBe('');
    expect(tempFiles(dir)).toEqual([]);
  });

  it('exits 0 on SIGINT while CreateSession keeps failing, writing nothing', async () => {
    endpoint.respond(awsError(403, 'AccessDeniedException', 'Untrusted certificate'));
    const dir = freshDir('sigint');
    const file = join(dir, 'credentials');
    writeFileSync(file, EXISTING);
    running = startCli(args(['--profile', 'edge']), { env: envFor(file) });
    const failure = await running.waitFor('stderr', /update: refresh failed \(ACCESS_DENIED: [^\n]*\n/);
    expect(failure[0]).toMatch(
      /holds no valid credentials from this run; next attempt at \S+ \(failure 1, needs a configuration change\)/,
    );
    const { code } = await running.stop('SIGINT');
    expect(code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(EXISTING);
    expect(tempFiles(dir)).toEqual([]);
  });
});
