import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fromInstanceMetadata } from '@aws-sdk/credential-providers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { type CliProcess, startCli } from '../helpers/cli-process';
import { createRootCa, issueLeaf, type TestLeaf } from '../helpers/pki';
import { makeTempDir } from '../helpers/tmp';
import {
  awsError,
  type CannedEndpoint,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  startCannedEndpoint,
  success,
} from '../unit/rolesanywhere/canned-endpoint';

const TRUST_ANCHOR =
  'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666';
const PROFILE = 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666';
const ROLE = 'arn:aws:iam::123456789012:role/workloads/edge-role';
const CREDS = '/latest/meta-data/iam/security-credentials/';

const tmp = makeTempDir('ra-serve-');
let leaf: TestLeaf;
let endpoint: CannedEndpoint;
let running: CliProcess | undefined;

beforeAll(async () => {
  const ca = createRootCa(tmp.path, 'Serve Test CA');
  leaf = issueLeaf(tmp.path, ca, { name: 'serve-device' });
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

/** No AWS settings of the machine or the user leak into the clients under test. */
const cleanEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: tmp.path,
  AWS_CONFIG_FILE: join(tmp.path, 'no-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(tmp.path, 'no-credentials'),
});

function args(extra: string[] = []): string[] {
  return [
    'serve',
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
    '--port',
    '0',
    ...extra,
  ];
}

async function serve(extra: string[] = []): Promise<string> {
  running = startCli(args(extra), { env: cleanEnv() });
  const [, url] = await running.waitFor('stdout', /^listening on (http:\/\/\S+)\n/);
  return url as string;
}

function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function token(base: string): Promise<string> {
  const answer = await call(base, 'PUT', '/latest/api/token', {
    'x-aws-ec2-metadata-token-ttl-seconds': '300',
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

const runPython = (code: string, env: NodeJS.ProcessEnv) =>
  new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile('python3', ['-c', code], { env, timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });

describe('serve', () => {
  it('serves the IMDSv2 token flow and the role credentials from one CreateSession', async () => {
    const base = await serve();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await call(base, 'GET', CREDS)).status).toBe(401);
    const t = await token(base);
    const list = await call(base, 'GET', CREDS, { 'x-aws-ec2-metadata-token': t });
    expect(list).toEqual({ status: 200, body: 'edge-role' });
    const creds = await call(base, 'GET', `${CREDS}edge-role`, { 'x-aws-ec2-metadata-token': t });
    expect(creds.status).toBe(200);
    expect(JSON.parse(creds.body)).toMatchObject({
      Code: 'Success',
      Type: 'AWS-HMAC',
      AccessKeyId: 'ASIAEXAMPLEACCESSKEY',
      SecretAccessKey: SECRET_ACCESS_KEY,
      Token: SESSION_TOKEN,
      Expiration: '2030-01-01T00:00:00Z',
    });
    expect((await call(base, 'GET', `${CREDS}other`, { 'x-aws-ec2-metadata-token': t })).status).toBe(404);
    const forwarded = await call(base, 'PUT', '/latest/api/token', {
      'x-aws-ec2-metadata-token-ttl-seconds': '300',
      'x-forwarded-for': '198.51.100.7',
    });
    expect(forwarded.status).toBe(403);
    expect(
      (await call(base, 'PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '0' })).status,
    ).toBe(400);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('gives credentials to the AWS SDK for JavaScript (fromInstanceMetadata)', async () => {
    const base = await serve();
    const saved = { ...process.env };
    Object.assign(process.env, cleanEnv(), { AWS_EC2_METADATA_SERVICE_ENDPOINT: base });
    delete process.env.AWS_EC2_METADATA_DISABLED;
    try {
      const credentials = await fromInstanceMetadata({ timeout: 5_000, maxRetries: 0 })();
      expect(credentials.accessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
      expect(credentials.secretAccessKey).toBe(SECRET_ACCESS_KEY);
      expect(credentials.sessionToken).toBe(SESSION_TOKEN);
      expect(credentials.expiration?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    } finally {
      process.env = saved;
    }
  });

  it('gives credentials to botocore (AWS_EC2_METADATA_SERVICE_ENDPOINT)', async () => {
    const base = await serve();
    const { stdout } = await runPython(
      [
        'import json, botocore.session',
        'c = botocore.session.get_session().get_credentials()',
        'f = c.get_frozen_credentials()',
        'print(json.dumps({"method": c.method, "key": f.access_key, "secret": f.secret_key, "token": f.token}))',
      ].join('\n'),
      { ...cleanEnv(), AWS_EC2_METADATA_SERVICE_ENDPOINT: `${base}/` },
    );
    expect(JSON.parse(stdout)).toEqual({
      method: 'iam-role',
      key: 'ASIAEXAMPLEACCESSKEY',
      secret: SECRET_ACCESS_KEY,
      token: SESSION_TOKEN,
    });
  });

  it('answers 500 with the reason, not empty credentials, while CreateSession is refused', async () => {
    endpoint.respond(
      awsError(403, 'AccessDeniedException', 'Untrusted certificate. Insufficient certificate'),
    );
    const base = await serve();
    const process = running as CliProcess;
    await process.waitFor(
      'stderr',
      /serve: refresh failed \(ACCESS_DENIED: .*no valid credentials: requests get 500/,
    );
    const answer = await call(base, 'GET', `${CREDS}edge-role`, {
      'x-aws-ec2-metadata-token': await token(base),
    });
    expect(answer.status).toBe(500);
    const doc = JSON.parse(answer.body);
    expect(doc.Code).toBe('ACCESS_DENIED');
    expect(doc.Message).toMatch(/untrusted certificate/i);
    expect(doc.AccessKeyId).toBeUndefined();
    // A permanent error: the provider waits (>= 30 s) instead of calling CreateSession per request.
    await call(base, 'GET', `${CREDS}edge-role`, { 'x-aws-ec2-metadata-token': await token(base) });
    expect(endpoint.requests).toHaveLength(1);
  });

  it('listens on ::1', async () => {
    const base = await serve(['--bind', '::1']);
    expect(base).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const answer = await call(base, 'GET', `${CREDS}edge-role`, {
      'x-aws-ec2-metadata-token': await token(base),
    });
    expect(answer.status).toBe(200);
  });

  it('refuses a non-loopback address unless --allow-remote is given', async () => {
    const result = await runCli(args(['--bind', '0.0.0.0']), { env: cleanEnv() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: refusing to serve credentials on 0\.0\.0\.0/m);
    expect(result.stderr).toMatch(/^hint: .*--allow-remote/m);
    expect(result.stdout).toBe('');
  });

  it('takes --hop-limit 1..255 and serves with it', async () => {
    const base = await serve(['--hop-limit', '1']);
    expect(await token(base)).toMatch(/\S/);
    expect((running as CliProcess).stderr()).not.toMatch(/warning/);
    const bad = await runCli(args(['--hop-limit', '300']), { env: cleanEnv() });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: --hop-limit 300/m);
  });

  it('stops cleanly on SIGTERM and closes the port', async () => {
    const base = await serve();
    await token(base);
    const port = Number(new URL(base).port);
    const { code, signal } = await (running as CliProcess).stop('SIGTERM');
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect((running as CliProcess).stderr()).toMatch(/serve: stopped by SIGTERM\n$/);
    expect((running as CliProcess).stderr()).not.toContain(SECRET_ACCESS_KEY);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
