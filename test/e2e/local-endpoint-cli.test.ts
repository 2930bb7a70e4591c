import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsync } from '../fixtures/local-endpoint/run';
import { CLI } from '../helpers/cli';
import { type Started, startLocalEndpoint as startCli, stopProcess as stop } from '../helpers/local-endpoint';
import { createRootCa, issueLeaf, type TestCa, type TestLeaf } from '../helpers/pki';
import { makeTempDir } from '../helpers/tmp';
import { requireTool } from '../helpers/tools';

// The user's flow from the article, offline: a CloudFormation template with the CA as a
// parameter, `local-endpoint` serving it, a credential_process profile in ~/.aws/config, then
// awscli and boto3 uploading a backup through that profile.
const AWS = requireTool('/usr/bin/aws', 'awscli');
const BOTO3_SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'local-endpoint', 'boto3_roundtrip.py');
/** The article's template, as written there (indentation restored). */
const ARTICLE_TEMPLATE = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'local-endpoint',
  'article-template.yaml',
);

const work = makeTempDir('ra-local-endpoint-cli-');
let ca: TestCa;
let leaf: TestLeaf;
let templatePath: string;

beforeAll(async () => {
  ca = createRootCa(work.path, 'Edge Root CA');
  leaf = issueLeaf(work.path, ca, { name: 'edge-server' });
  templatePath = ARTICLE_TEMPLATE;
});

afterAll(() => {
  work.remove();
});

function credentialProcessConfig(started: Started, extra = ''): string {
  const [anchor, profile, role] = [
    started.info.trustAnchors[0]?.arn,
    started.info.profiles[0]?.arn,
    started.info.roles[0]?.arn,
  ];
  const path = join(work.path, `config-${randomBytes(4).toString('hex')}`);
  writeFileSync(
    path,
    `[profile edge-workload]\n` +
      `credential_process = ${process.execPath} ${CLI} credential-process --certificate ${leaf.certPath} ` +
      `--private-key ${leaf.keyPath} --trust-anchor-arn ${anchor} --profile-arn ${profile} --role-arn ${role} ` +
      `--endpoint ${started.info.endpoint}\nregion = us-east-1\n${extra}`,
  );
  return path;
}

function profileEnv(configPath: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: work.path,
    AWS_CONFIG_FILE: configPath,
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

describe('rolesanywhere-agent local-endpoint', () => {
  it('prints "listening on <url>" then the resources with their ARNs, and stops on SIGTERM with exit 0', async () => {
    const started = await startCli([
      '--template',
      templatePath,
      '--parameter',
      `CACertificateBody=@${ca.certPath}`,
    ]);
    try {
      expect(started.firstLine).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      expect(started.info.endpoint).toBe(started.firstLine.slice('listening on '.length));
      expect(started.info.trustAnchors[0]?.arn).toMatch(
        /^arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor\//,
      );
      expect(started.info.profiles[0]?.arn).toMatch(
        /^arn:aws:rolesanywhere:us-east-1:123456789012:profile\//,
      );
      expect(started.info.roles[0]?.arn).toBe('arn:aws:iam::123456789012:role/EdgeBackupRole');
      expect(started.info.auditLog).toBe(join(started.info.stateDir, 'audit.log'));
      expect(existsSync(started.info.stateDir)).toBe(true);
    } finally {
      expect(await stop(started, 'SIGTERM')).toBe(0);
    }
    // Read once the process is gone: stderr is another pipe, with no order against stdout.
    expect(started.stderr()).toContain('development and test tool');
  });

  it('serves the article flow: credential_process profile, then awscli and boto3 uploads', async () => {
    const stateDir = join(work.path, 'state');
    const started = await startCli([
      '--template',
      templatePath,
      '--parameter',
      `CACertificateBody=@${ca.certPath}`,
      '--state-dir',
      stateDir,
    ]);
    try {
      const config = credentialProcessConfig(started);
      const env = profileEnv(config);
      const identity = await runAsync(
        AWS,
        [
          '--profile',
          'edge-workload',
          '--endpoint-url',
          started.info.endpoint,
          'sts',
          'get-caller-identity',
          '--output',
          'json',
        ],
        { env },
      );
      expect(identity.stderr).toBe('');
      const arn = JSON.parse(identity.stdout).Arn as string;
      expect(arn).toBe(
        `arn:aws:sts::123456789012:assumed-role/EdgeBackupRole/${leaf.serialHex.toLowerCase()}`,
      );

      const backup = join(work.path, 'daily_backup.tar.gz');
      writeFileSync(backup, randomBytes(9 * 1024 * 1024));
      const s3 = (args: string[]) =>
        runAsync(
          AWS,
          ['--profile', 'edge-workload', '--endpoint-url', started.info.endpoint, 's3', ...args],
          { env },
        );
      expect((await s3(['mb', 's3://my-secure-onprem-backups'])).code).toBe(0);
      expect(
        (await s3(['cp', '--only-show-errors', backup, 's3://my-secure-onprem-backups/daily_backup.tar.gz']))
          .code,
      ).toBe(0);
      // The object is a file in the state dir, exactly the uploaded bytes.
      expect(
        readFileSync(join(stateDir, 's3', 'my-secure-onprem-backups', 'daily_backup.tar.gz')).equals(
          readFileSync(backup),
        ),
      ).toBe(true);

      const boto = await runAsync(
        'python3',
        [
          BOTO3_SCRIPT,
          started.info.endpoint,
          'my-secure-onprem-backups',
          backup,
          join(work.path, 'boto-back.bin'),
          'edge-workload',
        ],
        { env },
      );
      expect(boto.stderr).toBe('');
      expect(JSON.parse(boto.stdout).arn).toBe(arn);
      expect(readFileSync(join(work.path, 'boto-back.bin')).equals(readFileSync(backup))).toBe(true);

      const audit = readFileSync(started.info.auditLog, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(audit.length).toBeGreaterThanOrEqual(2);
      expect(audit.every((record) => record.event === 'CreateSession' && record.outcome === 'success')).toBe(
        true,
      );
    } finally {
      expect(await stop(started, 'SIGINT')).toBe(0);
    }
  });

  it('serves HTTPS with --tls, its CA given to awscli as the CA bundle', async () => {
    const started = await startCli([
      '--template',
      templatePath,
      '--parameter',
      `CACertificateBody=@${ca.certPath}`,
      '--tls',
    ]);
    try {
      expect(started.firstLine).toMatch(/^listening on https:\/\/127\.0\.0\.1:\d+$/);
      expect(started.info.caBundle).toBe(join(started.info.stateDir, 'tls', 'ca.pem'));
      const config = credentialProcessConfig(started);
      const env = profileEnv(config, { AWS_CA_BUNDLE: started.info.caBundle ?? '' });
      const identity = await runAsync(
        AWS,
        [
          '--profile',
          'edge-workload',
          '--endpoint-url',
          started.info.endpoint,
          'sts',
          'get-caller-identity',
          '--output',
          'text',
        ],
        { env },
      );
      expect(identity.stderr).toBe('');
      expect(identity.stdout).toContain('assumed-role/EdgeBackupRole/');
    } finally {
      expect(await stop(started, 'SIGTERM')).toBe(0);
    }
  });

  it('fails with a hint, not a stack trace, when the template parameter is missing', async () => {
    const result = await runAsync(process.execPath, [CLI, 'local-endpoint', '--template', templatePath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .+\nhint: .+/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('says in its help that it is a development and test tool', async () => {
    const result = await runAsync(process.execPath, [CLI, 'local-endpoint', '--help']);
    expect(result.stdout).toContain('development and test tool');
    expect(result.stdout).toContain('--throttle-tps');
  });
});
