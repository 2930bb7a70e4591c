import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, startTestEndpoint, type TestEndpoint } from '../fixtures/local-endpoint/endpoint';
import { runAsync } from '../fixtures/local-endpoint/run';
import { makeTempDir } from '../helpers/tmp';
import { requireTool } from '../helpers/tools';

// The real awscli (v1, botocore) against the endpoint, with issued credentials in env vars.
const AWS = requireTool('/usr/bin/aws', 'awscli');
const work = makeTempDir('ra-local-endpoint-awscli-');
const big = join(work.path, 'backup.tar.gz');

beforeAll(() => {
  writeFileSync(big, randomBytes(20 * 1024 * 1024)); // above the 8 MB multipart threshold
});

afterAll(() => {
  work.remove();
});

async function aws(endpoint: TestEndpoint, args: string[], env: NodeJS.ProcessEnv) {
  const extra = endpoint.caBundlePath ? ['--ca-bundle', endpoint.caBundlePath] : [];
  return runAsync(AWS, ['--endpoint-url', endpoint.url, ...extra, ...args], { env });
}

for (const tls of [false, true]) {
  describe(`awscli over ${tls ? 'HTTPS' : 'HTTP'}`, () => {
    let endpoint: TestEndpoint;

    beforeAll(async () => {
      endpoint = await startTestEndpoint({ tls });
    });

    afterAll(async () => {
      await endpoint.stop();
    });

    it('aws sts get-caller-identity names the assumed role', async () => {
      const result = await aws(
        endpoint,
        ['sts', 'get-caller-identity', '--output', 'json'],
        awsEnv(endpoint.issue(3600, 'awscli')),
      );
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({
        UserId: 'AROAEXAMPLELOCALROLE1:awscli',
        Account: '123456789012',
        Arn: 'arn:aws:sts::123456789012:assumed-role/EdgeBackupRole/awscli',
      });
    });

    it('aws s3 cp a 20 MB file up (multipart) and back, byte for byte', async () => {
      const env = awsEnv(endpoint.issue());
      expect((await aws(endpoint, ['s3', 'mb', 's3://my-secure-onprem-backups'], env)).code).toBe(0);
      const up = await aws(
        endpoint,
        ['s3', 'cp', '--only-show-errors', big, 's3://my-secure-onprem-backups/daily/backup.tar.gz'],
        env,
      );
      expect(up).toMatchObject({ code: 0, stderr: '' });
      const back = join(work.path, `back-${tls}.bin`);
      const down = await aws(
        endpoint,
        ['s3', 'cp', '--only-show-errors', 's3://my-secure-onprem-backups/daily/backup.tar.gz', back],
        env,
      );
      expect(down).toMatchObject({ code: 0, stderr: '' });
      expect(readFileSync(back).equals(readFileSync(big))).toBe(true);
      const head = await aws(
        endpoint,
        ['s3api', 'head-object', '--bucket', 'my-secure-onprem-backups', '--key', 'daily/backup.tar.gz'],
        env,
      );
      expect(JSON.parse(head.stdout).ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
      const listed = await aws(endpoint, ['s3', 'ls', 's3://my-secure-onprem-backups/daily/'], env);
      expect(listed.stdout).toMatch(/20971520 backup\.tar\.gz/);
    });

    it('aws refuses to work with expired or tampered credentials', async () => {
      const expired = await aws(endpoint, ['sts', 'get-caller-identity'], awsEnv(endpoint.issue(-60)));
      expect(expired.code).not.toBe(0);
      expect(expired.stderr).toContain('ExpiredToken');
      const session = endpoint.issue();
      const tampered = await aws(endpoint, ['s3', 'ls'], {
        ...awsEnv(session),
        AWS_SECRET_ACCESS_KEY: `${session.secretAccessKey}x`,
      });
      expect(tampered.code).not.toBe(0);
      expect(tampered.stderr).toContain('SignatureDoesNotMatch');
    });
  });
}
