import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, startTestEndpoint, type TestEndpoint } from '../fixtures/local-endpoint/endpoint';
import { runAsync } from '../fixtures/local-endpoint/run';
import { makeTempDir } from '../helpers/tmp';

const SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'local-endpoint', 'boto3_roundtrip.py');
const work = makeTempDir('ra-local-endpoint-boto3-');
const source = join(work.path, 'daily_backup.tar.gz');

beforeAll(() => {
  writeFileSync(source, randomBytes(20 * 1024 * 1024 + 12345));
});

afterAll(() => {
  work.remove();
});

for (const tls of [false, true]) {
  describe(`boto3 over ${tls ? 'HTTPS' : 'HTTP'}`, () => {
    let endpoint: TestEndpoint;

    beforeAll(async () => {
      endpoint = await startTestEndpoint({ tls });
    });

    afterAll(async () => {
      await endpoint.stop();
    });

    it('upload_file and download_file round-trip a 20 MB file', async () => {
      const destination = join(work.path, `downloaded-${tls}.bin`);
      const env = awsEnv(
        endpoint.issue(3600, 'boto3'),
        endpoint.caBundlePath ? { AWS_CA_BUNDLE: endpoint.caBundlePath } : {},
      );
      const result = await runAsync(
        'python3',
        [SCRIPT, endpoint.url, 'my-secure-onprem-backups', source, destination],
        { env },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary.size).toBe(20 * 1024 * 1024 + 12345);
      expect(summary.etag).toMatch(/^"[0-9a-f]{32}-3"$/);
      expect(summary.arn).toBe('arn:aws:sts::123456789012:assumed-role/EdgeBackupRole/boto3');
      expect(readFileSync(destination).equals(readFileSync(source))).toBe(true);
    });

    it('reports an expired credential as ExpiredToken', async () => {
      const env = awsEnv(
        endpoint.issue(-1),
        endpoint.caBundlePath ? { AWS_CA_BUNDLE: endpoint.caBundlePath } : {},
      );
      const result = await runAsync(
        'python3',
        [SCRIPT, endpoint.url, 'expired-bucket', source, join(work.path, 'never')],
        { env },
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('ExpiredToken');
    });
  });
}
