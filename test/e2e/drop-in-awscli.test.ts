import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumedRoleArn, BUCKET, createDropInWorld, type DropInWorld, PIN } from '../fixtures/drop-in/world';
import { runAsync } from '../fixtures/local-endpoint/run';
import { requireTool } from '../helpers/tools';

// The article's setup with the real awscli: an AWS config file whose credential_process is this
// project's CLI where aws_signing_helper was, keys in files and on a SoftHSM token, against the
// local endpoint serving docs/examples/roles-anywhere.yaml. The OU condition of the trust policy
// lets the right devices in and keeps the others out, with the reason shown by aws.
const AWS = requireTool('/usr/bin/aws', 'awscli');
let world: DropInWorld;
let config: string;
const NORTHEAST_SELECTOR = 'Key=x509Subject,Value=CN=edge-selector,OU=DataCenter-Northeast,O=Example';

beforeAll(async () => {
  world = await createDropInWorld('awscli');
  await world.createBucket();
  config = world.writeAwsConfig({
    'edge-file': world.credentialProcess(world.file),
    'edge-token': world.credentialProcess(world.token1),
    'edge-selector': world.credentialProcess(world.selectorKey, ['--cert-selector', NORTHEAST_SELECTOR]),
    'edge-selector-unset': world.credentialProcess(world.selectorKey),
    'edge-west': world.credentialProcess(world.refused.otherOu),
    'edge-revoked': world.credentialProcess(world.refused.revoked),
    'edge-untrusted': world.credentialProcess(world.refused.untrusted),
  });
});

afterAll(async () => {
  await world?.stop();
});

function aws(profile: string, args: string[]) {
  return runAsync(AWS, ['--profile', profile, '--endpoint-url', world.endpoint.info.endpoint, ...args], {
    env: world.env({ AWS_CONFIG_FILE: config }),
  });
}

async function callerArn(profile: string): Promise<string> {
  const result = await aws(profile, ['sts', 'get-caller-identity', '--output', 'json']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout).Arn;
}

describe('awscli with credential_process = rolesanywhere-agent credential-process', () => {
  it('the config holds the token URI quoted for the shell and the ini, PIN and all', () => {
    const text = readFileSync(config, 'utf8');
    expect(text).toContain(`--private-key 'pkcs11:token=edge;object=edge-token?module-path=`);
    expect(text).toContain(`&pin-value=${PIN}'`);
  });

  it.each([
    ['keys in files', 'edge-file', () => world.file],
    ['a key on a SoftHSM token', 'edge-token', () => world.token1],
  ])(
    'with %s: sts get-caller-identity, then s3 cp up and back, byte for byte',
    async (_name, profile, identity) => {
      expect(await callerArn(profile)).toBe(assumedRoleArn(identity()));
      const source = join(world.dir, `${profile}-backup.tar.gz`);
      writeFileSync(source, randomBytes(64 * 1024));
      const key = `s3://${BUCKET}/awscli/${profile}/daily_backup.tar.gz`;
      expect(await aws(profile, ['s3', 'cp', '--only-show-errors', source, key])).toMatchObject({
        code: 0,
        stderr: '',
      });
      const back = join(world.dir, `${profile}-back.bin`);
      expect(await aws(profile, ['s3', 'cp', '--only-show-errors', key, back])).toMatchObject({
        code: 0,
        stderr: '',
      });
      expect(readFileSync(back).equals(readFileSync(source))).toBe(true);
    },
  );

  it('--cert-selector picks the DataCenter-Northeast certificate of a token key whose latest is DataCenter-West', async () => {
    const unset = await aws('edge-selector-unset', ['sts', 'get-caller-identity']);
    expect(unset.code).not.toBe(0);
    expect(unset.stderr).toContain('"DataCenter-West", the policy wants "DataCenter-Northeast"');
    expect(await callerArn('edge-selector')).toBe(assumedRoleArn(world.selectorKey));
  });
});

describe('awscli shows why a device is refused', () => {
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
    const result = await aws(profile, ['sts', 'get-caller-identity']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    // botocore quotes the process's stderr: our error: line, reason included.
    expect(result.stderr).toContain(
      'Error when retrieving credentials from custom-process: error: createsession denied (403 AccessDeniedException)',
    );
    expect(result.stderr).toMatch(reason);
    expect(result.stderr).not.toContain(PIN);
  });
});
