import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumedRoleArn, BUCKET, createDropInWorld, type DropInWorld, PIN } from '../fixtures/drop-in/world';
import { runAsync } from '../fixtures/local-endpoint/run';
import { ROOT, runCli } from '../helpers/cli';
import { type CliProcess, startCli } from '../helpers/cli-process';

// The article's Python program with the real boto3, getting its credentials from this
// project's CLI three ways: credential_process in a profile (where aws_signing_helper was),
// the IMDSv2 endpoint of `serve`, and the credentials file `update` writes.
const ROUND_TRIP = join(import.meta.dirname, '..', 'fixtures', 'drop-in', 'backup_roundtrip.py');
const UPLOAD_BACKUP = join(ROOT, 'docs', 'examples', 'upload_backup.py');
let world: DropInWorld;
let config: string;
let serving: CliProcess | undefined;

beforeAll(async () => {
  world = await createDropInWorld('boto3');
  await world.createBucket();
  config = world.writeAwsConfig({
    'edge-workload': world.credentialProcess(world.file),
    'edge-token': world.credentialProcess(world.token1),
    'edge-west': world.credentialProcess(world.refused.otherOu),
    'edge-revoked': world.credentialProcess(world.refused.revoked),
    'edge-untrusted': world.credentialProcess(world.refused.untrusted),
  });
});

afterAll(async () => {
  await serving?.stop();
  await world?.stop();
});

/** A small backup file; the round trip writes FILE.back beside it. */
function backup(name: string): string {
  const path = join(world.dir, `${name}.tar.gz`);
  writeFileSync(path, randomBytes(48 * 1024));
  return path;
}

async function roundTrip(file: string, env: NodeJS.ProcessEnv, profile?: string) {
  const result = await runAsync(
    'python3',
    [ROUND_TRIP, file, BUCKET, world.endpoint.info.endpoint, ...(profile ? [profile] : [])],
    { env },
  );
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(readFileSync(`${file}.back`).equals(readFileSync(file))).toBe(true);
  return JSON.parse(result.stdout) as { arn: string; method: string };
}

describe('boto3, the article program', () => {
  it('docs/examples/upload_backup.py uploads through the edge-workload credential_process profile', async () => {
    const file = backup('upload-backup');
    const result = await runAsync('python3', [UPLOAD_BACKUP, file, BUCKET, world.endpoint.info.endpoint], {
      env: world.env({ AWS_CONFIG_FILE: config }),
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim()).toBe(`uploaded ${file} to s3://${BUCKET} as ${assumedRoleArn(world.file)}`);
    const stored = join(world.endpoint.info.stateDir, 's3', BUCKET, 'upload-backup.tar.gz');
    expect(readFileSync(stored).equals(readFileSync(file))).toBe(true);
  });

  it.each([
    ['keys in files', 'edge-workload', () => world.file],
    ['a key on a SoftHSM token', 'edge-token', () => world.token1],
  ])('Session(profile_name=...) with %s: upload_file and back', async (_name, profile, identity) => {
    const answer = await roundTrip(backup(profile), world.env({ AWS_CONFIG_FILE: config }), profile);
    expect(answer).toEqual({ arn: assumedRoleArn(identity()), method: 'custom-process' });
  });

  it('no profile, credentials from `serve` (AWS_EC2_METADATA_SERVICE_ENDPOINT), key on the token', async () => {
    serving = startCli(['serve', ...world.token1.args, ...world.sessionArgs, '--port', '0'], {
      env: world.env(),
    });
    const [, url] = await serving.waitFor('stdout', /^listening on (http:\/\/\S+)\n/);
    const env = world.env({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `${url}/` });
    delete env.AWS_EC2_METADATA_DISABLED;
    const answer = await roundTrip(backup('serve'), env);
    expect(answer).toEqual({ arn: assumedRoleArn(world.token1), method: 'iam-role' });
    await serving.stop();
    serving = undefined;
  });

  it('credentials file written by `update --once` (AWS_SHARED_CREDENTIALS_FILE), keys in files', async () => {
    const credentials = join(world.dir, 'credentials');
    const env = world.env({ AWS_SHARED_CREDENTIALS_FILE: credentials });
    const update = await runCli(
      ['update', '--once', '--profile', 'edge-workload', ...world.file.args, ...world.sessionArgs],
      { env },
    );
    expect(update.code).toBe(0);
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const answer = await roundTrip(backup('update'), env, 'edge-workload');
    expect(answer).toEqual({ arn: assumedRoleArn(world.file), method: 'shared-credentials-file' });
  });
});

describe('boto3 shows why a device is refused', () => {
  it.each([
    [
      'a certificate of another OU (the trust policy condition)',
      'edge-west',
      /aws:PrincipalTag\/x509Subject\/OU failed: the request has "DataCenter-West"/,
    ],
    ['a certificate revoked by the imported CRL', 'edge-revoked', /is revoked by the CRL of/],
    [
      'a certificate from a CA no trust anchor holds',
      'edge-untrusted',
      /Untrusted signing certificate: no trust anchor issued/,
    ],
  ])('%s', async (_name, profile, reason) => {
    const file = backup(`refused-${profile}`);
    const result = await runAsync(
      'python3',
      [ROUND_TRIP, file, BUCKET, world.endpoint.info.endpoint, profile],
      {
        env: world.env({ AWS_CONFIG_FILE: config }),
      },
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    const exception = result.stderr
      .split('\n')
      .find((line) => line.startsWith('botocore.exceptions.CredentialRetrievalError:'));
    expect(exception).toContain(
      'Error when retrieving credentials from custom-process: error: createsession denied (403 AccessDeniedException)',
    );
    expect(exception).toMatch(reason);
    expect(result.stderr).not.toContain(PIN);
  });
});
