import { randomBytes } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromInstanceMetadata, fromProcess } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRolesAnywhere } from '../../src/sdk';
import {
  assumedRoleArn,
  BUCKET,
  createDropInWorld,
  type DropInWorld,
  type Identity,
  PIN,
  REGION,
  ROLE_ARN,
} from '../fixtures/drop-in/world';
import { type CliProcess, startCli } from '../helpers/cli-process';

// The AWS SDK for JavaScript v3 getting its credentials from this project three ways: its own
// fromProcess (credential_process profile), fromInstanceMetadata against `serve`, and this
// project's fromRolesAnywhere provider; each followed by an S3 round trip on the local endpoint.
let world: DropInWorld;
let config: string;
let serving: CliProcess | undefined;

beforeAll(async () => {
  world = await createDropInWorld('js-sdk');
  await world.createBucket();
  config = world.writeAwsConfig({
    'edge-file': world.credentialProcess(world.file),
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

const clientConfig = (credentials: AwsCredentialIdentityProvider) => ({
  region: REGION,
  endpoint: world.endpoint.info.endpoint,
  credentials,
});

/** PutObject, GetObject, compare; then the caller's ARN from STS. */
async function roundTrip(credentials: AwsCredentialIdentityProvider, key: string): Promise<string> {
  const s3 = new S3Client({ ...clientConfig(credentials), forcePathStyle: true });
  const sts = new STSClient(clientConfig(credentials));
  try {
    const body = randomBytes(40 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(
      Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ).equals(body),
    ).toBe(true);
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
  } finally {
    s3.destroy();
    sts.destroy();
  }
}

const processProvider = (profile: string) =>
  fromProcess({ profile, configFilepath: config, filepath: `${world.dir}/no-credentials` });

const sessionInput = () => ({
  trustAnchorArn: world.endpoint.info.trustAnchors[0]?.arn ?? '',
  profileArn: world.endpoint.info.profiles[0]?.arn ?? '',
  roleArn: ROLE_ARN,
  endpoint: world.endpoint.info.endpoint,
});

/** fromRolesAnywhere for a file identity (its --certificate/--private-key paths). */
const fileSource = (identity: Identity) => ({
  certificate: identity.args[1] as string,
  privateKey: identity.args[3] as string,
});

describe('AWS SDK for JavaScript v3', () => {
  it.each([
    ['keys in files', 'edge-file', () => world.file],
    ['a key on a SoftHSM token', 'edge-token', () => world.token1],
  ])('fromProcess (credential_process profile) with %s: S3 round trip', async (_name, profile, identity) => {
    expect(await roundTrip(processProvider(profile), `js/process/${profile}.bin`)).toBe(
      assumedRoleArn(identity()),
    );
  });

  it('fromInstanceMetadata against `serve` (key on the token): S3 round trip', async () => {
    serving = startCli(['serve', ...world.token1.args, ...world.sessionArgs, '--port', '0'], {
      env: world.env(),
    });
    const [, url] = await serving.waitFor('stdout', /^listening on (http:\/\/\S+)\n/);
    const saved = { ...process.env };
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = url as string;
    delete process.env.AWS_EC2_METADATA_DISABLED;
    try {
      const provider = fromInstanceMetadata({ timeout: 5_000, maxRetries: 0 });
      expect(await roundTrip(provider, 'js/imds.bin')).toBe(assumedRoleArn(world.token1));
    } finally {
      process.env = saved;
      await serving.stop();
      serving = undefined;
    }
  });

  it.each([
    ['keys in files', () => fileSource(world.file), () => world.file],
    ['a key on a SoftHSM token', () => ({ pkcs11: { uri: world.tokenUri } }), () => world.token1],
  ])('fromRolesAnywhere with %s: S3 round trip', async (_name, source, identity) => {
    const provider = fromRolesAnywhere({ ...sessionInput(), ...source() } as Parameters<
      typeof fromRolesAnywhere
    >[0]);
    try {
      expect(await roundTrip(provider, `js/provider/${identity().name}.bin`)).toBe(
        assumedRoleArn(identity()),
      );
    } finally {
      await provider.close();
    }
  });
});

describe('the JS SDK shows why a device is refused', () => {
  const cases = [
    [
      'a certificate of another OU (the trust policy condition)',
      'edge-west',
      'otherOu',
      /aws:PrincipalTag\/x509Subject\/OU failed: the request has "DataCenter-West"/,
    ],
    ['a certificate revoked by the imported CRL', 'edge-revoked', 'revoked', /is revoked by the CRL of/],
    [
      'a certificate from a CA no trust anchor holds',
      'edge-untrusted',
      'untrusted',
      /Untrusted signing certificate: no trust anchor issued/,
    ],
  ] as const;

  it.each(cases)('fromProcess: %s', async (_name, profile, _identity, reason) => {
    const s3 = new S3Client({ ...clientConfig(processProvider(profile)), forcePathStyle: true });
    try {
      const error = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'js/none.bin' })).then(
        () => undefined,
        (caught: Error) => caught,
      );
      expect(error?.name).toBe('CredentialsProviderError');
      // The SDK's message carries the process's stderr: our error: line, reason included.
      expect(error?.message).toContain('error: createsession denied (403 AccessDeniedException)');
      expect(error?.message).toMatch(reason);
      expect(error?.message).not.toContain(PIN);
    } finally {
      s3.destroy();
    }
  });

  it.each(cases)('fromRolesAnywhere: %s', async (_name, _profile, identity, reason) => {
    const provider = fromRolesAnywhere({ ...sessionInput(), ...fileSource(world.refused[identity]) });
    const sts = new STSClient(clientConfig(provider));
    try {
      const error = await sts.send(new GetCallerIdentityCommand({})).then(
        () => undefined,
        (caught: Error & { code?: string }) => caught,
      );
      expect(error?.code).toBe('ACCESS_DENIED');
      expect(error?.message).toMatch(/^createsession denied \(403 AccessDeniedException\)/);
      expect(error?.message).toMatch(reason);
    } finally {
      sts.destroy();
      await provider.close();
    }
  });
});
