import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/rolesanywhere';
import { fromFile } from '../../src/signer/from-file';
import { fromPkcs11 } from '../../src/signer/from-pkcs11';
import type { Signer } from '../../src/signer/signer';
import { type Started, startLocalEndpoint, stopProcess } from '../helpers/local-endpoint';
import { createIntermediateCa, createRootCa, issueLeaf, type TestKeyType } from '../helpers/pki';
import { createSoftHsmToken, importCertificate, importKey } from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

const TEMPLATE = join(import.meta.dirname, '..', 'fixtures', 'local-endpoint', 'article-template.yaml');

/**
 * Issue 4's proof: the endpoint runs as a real process; the project's own client gets
 * credentials with file keys and with SoftHSM keys, EC and RSA, with and without
 * intermediates; the AWS SDK then uses them against the endpoint's STS and S3.
 */
describe('local endpoint with the project client and the AWS SDK', () => {
  const dir = makeTempDir();
  let endpoint: Started;
  let pkcs11Uri: (label: string) => string;
  const leaves = new Map<
    string,
    { certPath: string; keyPath: string; intermediates?: string; serialHex: string }
  >();

  beforeAll(async () => {
    const root = createRootCa(dir.path, 'Edge Root CA');
    const intermediate = createIntermediateCa(dir.path, root, 'Edge Issuing CA');
    const token = createSoftHsmToken(dir.path, 'edge');
    pkcs11Uri = (label) =>
      `pkcs11:token=edge;object=${label}?module-path=${token.module}&pin-value=${token.pin}`;
    const kinds: Array<[string, TestKeyType, boolean]> = [
      ['ec-direct', 'ec-p256', false],
      ['rsa-direct', 'rsa-2048', false],
      ['ec-chained', 'ec-p384', true],
      ['rsa-chained', 'rsa-3072', true],
    ];
    kinds.forEach(([name, keyType, chained], index) => {
      const leaf = issueLeaf(dir.path, chained ? intermediate : root, { name, keyType });
      leaves.set(name, { ...leaf, ...(chained ? { intermediates: intermediate.certPath } : {}) });
      const id = (index + 1).toString(16).padStart(2, '0');
      importKey(token, leaf.keyPath, id, name);
      importCertificate(token, leaf.certPath, id, name);
    });
    endpoint = await startLocalEndpoint([
      '--template',
      TEMPLATE,
      '--parameter',
      `CACertificateBody=@${root.certPath}`,
      '--port',
      '0',
      '--state-dir',
      join(dir.path, 'state'),
    ]);
  });

  afterAll(async () => {
    if (endpoint) await stopProcess(endpoint, 'SIGTERM');
    dir.remove();
  });

  async function roundTrip(signer: Signer, name: string): Promise<void> {
    const leaf = leaves.get(name);
    if (!leaf) throw new Error(`no leaf ${name}`);
    expect(signer.chain).toHaveLength(leaf.intermediates ? 1 : 0);
    const credentials = await createSession({
      signer,
      trustAnchorArn: endpoint.info.trustAnchors[0]?.arn ?? '',
      profileArn: endpoint.info.profiles[0]?.arn ?? '',
      roleArn: endpoint.info.roles[0]?.arn ?? '',
      endpoint: endpoint.info.endpoint,
      durationSeconds: 900,
    });
    expect(credentials.accessKeyId).toMatch(/^ASIA/);
    const config = { region: 'us-east-1', endpoint: endpoint.info.endpoint, credentials };
    const identity = await new STSClient(config).send(new GetCallerIdentityCommand({}));
    // The default session name is the certificate serial in hex, as Roles Anywhere sets it.
    const sessionName = identity.Arn?.split('/').pop() ?? '';
    expect(identity.Arn).toMatch(/^arn:aws:sts::123456789012:assumed-role\/EdgeBackupRole\/[0-9a-f]+$/);
    expect(BigInt(`0x${sessionName}`)).toBe(BigInt(`0x${leaf.serialHex}`));
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    const bucket = `backups-${name}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const body = `daily backup signed by ${name}`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'daily_backup.tar.gz', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'daily_backup.tar.gz' }));
    expect(await got.Body?.transformToString()).toBe(body);
  }

  it.each(['ec-direct', 'rsa-direct', 'ec-chained', 'rsa-chained'])('key files: %s', async (name) => {
    const leaf = leaves.get(name);
    if (!leaf) throw new Error(`no leaf ${name}`);
    const signer = await fromFile({
      certificate: leaf.certPath,
      privateKey: leaf.keyPath,
      ...(leaf.intermediates ? { intermediates: leaf.intermediates } : {}),
    });
    await roundTrip(signer, name);
  });

  it.each(['ec-direct', 'rsa-direct', 'ec-chained', 'rsa-chained'])(
    'SoftHSM key, certificate from the token: %s',
    async (name) => {
      const leaf = leaves.get(name);
      const signer = await fromPkcs11({
        uri: pkcs11Uri(name),
        ...(leaf?.intermediates ? { intermediates: leaf.intermediates } : {}),
      });
      try {
        await roundTrip(signer, name);
      } finally {
        await signer.close();
      }
    },
  );
});
