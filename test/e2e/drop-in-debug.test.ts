import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDropInWorld, type DropInWorld, type Identity, PIN } from '../fixtures/drop-in/world';
import { runCli } from '../helpers/cli';
import { startCli } from '../helpers/cli-process';

// --debug, as aws_signing_helper users reach for it when a signature is refused: the canonical
// request and the string to sign on stderr, and never a secret: not the secret access key, not
// the session token, not the PIN (it is in the key's URI here), anywhere on stderr.
let world: DropInWorld;

beforeAll(async () => {
  world = await createDropInWorld('debug');
});

afterAll(async () => {
  await world?.stop();
});

/** The lines of one debug message (`debug: <title>` then `debug:   <line>`...). */
function debugBlock(stderr: string, title: string): string[] {
  const lines = stderr.split('\n');
  const start = lines.indexOf(`debug: ${title}`);
  if (start < 0) throw new Error(`no "debug: ${title}" in:\n${stderr}`);
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('debug:   ')) break;
    block.push(line.slice('debug:   '.length));
  }
  return block;
}

/** The canonical request and string to sign are there, consistent with each other and the key's certificate. */
function expectSigningDebug(stderr: string, identity: Identity): void {
  const canonical = debugBlock(stderr, 'canonical request:');
  const toSign = debugBlock(stderr, 'string to sign:');
  expect(canonical.slice(0, 2)).toEqual(['POST', '/sessions']);
  expect(canonical[2]).toMatch(
    /^profileArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A123456789012%3Aprofile%2F.+&roleArn=.+&trustAnchorArn=.+$/,
  );
  expect(canonical).toContain('content-type:application/json');
  const x509 = canonical.find((line) => line.startsWith('x-amz-x509:'))?.slice('x-amz-x509:'.length) ?? '';
  const cert = new X509Certificate(Buffer.from(x509, 'base64'));
  expect(BigInt(`0x${cert.serialNumber}`)).toBe(BigInt(`0x${identity.serialHex}`));
  expect(toSign).toHaveLength(4);
  expect(toSign[0]).toBe('AWS4-X509-ECDSA-SHA256');
  expect(toSign[2]).toMatch(/^\d{8}\/us-east-1\/rolesanywhere\/aws4_request$/);
  expect(toSign[3]).toBe(createHash('sha256').update(canonical.join('\n')).digest('hex'));
}

function expectNoSecrets(stderr: string, secrets: string[]): void {
  expect(secrets.every((secret) => secret.length >= 16)).toBe(true);
  for (const secret of [...secrets, PIN]) expect(stderr).not.toContain(secret);
}

describe('--debug shows what is signed and no secret', () => {
  it.each([
    ['keys in files', () => world.file],
    ['a key on the token, PIN in the URI', () => world.token1],
  ])('credential-process with %s', async (_name, identity) => {
    const result = await runCli(['credential-process', ...identity().args, ...world.sessionArgs, '--debug'], {
      env: world.env(),
    });
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expectSigningDebug(result.stderr, identity());
    expectNoSecrets(result.stderr, [output.SecretAccessKey, output.SessionToken]);
  });

  it('credential-process of a refused certificate: the request is shown beside the error', async () => {
    const result = await runCli(
      ['credential-process', ...world.refused.otherOu.args, ...world.sessionArgs, '--debug'],
      { env: world.env() },
    );
    expect(result.code).not.toBe(0);
    expectSigningDebug(result.stderr, world.refused.otherOu);
    expect(result.stderr).toMatch(/^error: createsession denied .*DataCenter-West/m);
  });

  it('update --once', async () => {
    const credentials = join(world.dir, 'debug-credentials');
    const result = await runCli(['update', '--once', ...world.token1.args, ...world.sessionArgs, '--debug'], {
      env: world.env({ AWS_SHARED_CREDENTIALS_FILE: credentials }),
    });
    expect(result.code).toBe(0);
    const file = readFileSync(credentials, 'utf8');
    const secret = /aws_secret_access_key = (\S+)/.exec(file)?.[1] ?? '';
    const token = /aws_session_token = (\S+)/.exec(file)?.[1] ?? '';
    expectSigningDebug(result.stderr, world.token1);
    expectNoSecrets(result.stderr, [secret, token]);
  });

  it('serve', async () => {
    const serving = startCli(
      ['serve', ...world.token1.args, ...world.sessionArgs, '--port', '0', '--debug'],
      {
        env: world.env(),
      },
    );
    try {
      const [, url] = await serving.waitFor('stdout', /^listening on (http:\/\/\S+)\n/);
      const token = await call(`${url}/latest/api/token`, 'PUT', {
        'x-aws-ec2-metadata-token-ttl-seconds': '60',
      });
      const base = `${url}/latest/meta-data/iam/security-credentials/`;
      const role = await call(base, 'GET', { 'x-aws-ec2-metadata-token': token });
      const credentials = JSON.parse(
        await call(`${base}${role}`, 'GET', { 'x-aws-ec2-metadata-token': token }),
      );
      expect(credentials.Code).toBe('Success');
      await serving.waitFor('stderr', /debug: string to sign:\n(debug: {3}.*\n){4}/);
      await serving.stop();
      expectSigningDebug(serving.stderr(), world.token1);
      expectNoSecrets(serving.stderr() + serving.stdout(), [credentials.SecretAccessKey, credentials.Token]);
    } finally {
      await serving.stop('SIGKILL');
    }
  });
});

function call(url: string, method: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (response.statusCode !== 200)
          reject(new Error(`${method} ${url}: ${response.statusCode} ${body}`));
        else resolve(body);
      });
    });
    req.on('error', reject);
    req.end();
  });
}
