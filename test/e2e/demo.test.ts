import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

/** The README's first command, as a user runs it (set-up already done by the test command). */
describe('scripts/demo.sh', () => {
  it('runs the article flow offline: token key, CA, local endpoint, credential_process, boto3 upload', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          join(ROOT, 'scripts', 'demo.sh'),
          [],
          { env: { ...process.env, RA_DEMO_SKIP_SETUP: '1' }, timeout: 180_000 },
          (error, out, err) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out, stderr: err }),
        );
      },
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^5\. boto3: uploaded daily_backup\.tar\.gz to s3:\/\/my-secure-onprem-backups as arn:aws:sts::123456789012:assumed-role\/EdgeBackupRole\/[0-9a-f]+$/m,
    );
    expect(stdout).toMatch(
      /success for certificate serial [0-9a-f]+ \(O=Example Corp, OU=DataCenter-Northeast, CN=edge-device-01\)/,
    );
    expect(stdout).not.toContain('edge-pin-7391'); // the demo PIN
  });
});
