import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { createRootCa, issueLeaf, type TestLeaf } from '../helpers/pki';
import { makeTempDir } from '../helpers/tmp';

const TEST_STRING = 'AWS Roles Anywhere Credential Helper Signing Test';

describe('sign-string and read-certificate-data with key files', () => {
  const dir = makeTempDir();
  let ec: TestLeaf;
  let rsa: TestLeaf;

  beforeAll(() => {
    const ca = createRootCa(dir.path);
    ec = issueLeaf(dir.path, ca, { name: 'ec-device', keyType: 'ec-p384' });
    rsa = issueLeaf(dir.path, ca, { name: 'rsa-device', keyType: 'rsa-2048' });
  });
  afterAll(() => dir.remove());

  it.each([
    ['json', 'SHA256'],
    ['text', 'SHA384'],
    ['bin', 'SHA512'],
  ] as const)('signs the test string (%s, %s) so the certificate verifies it', async (format, digest) => {
    for (const leaf of [ec, rsa]) {
      const result = await runCli([
        'sign-string',
        '--certificate',
        leaf.certPath,
        '--private-key',
        leaf.keyPath,
        '--format',
        format,
        '--digest',
        digest,
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const signature =
        format === 'bin'
          ? result.stdoutBytes
          : Buffer.from(format === 'json' ? JSON.parse(result.stdout) : result.stdout, 'hex');
      const publicKey = createPublicKey(readFileSync(leaf.certPath));
      expect(
        verify(
          digest.toLowerCase(),
          Buffer.from(TEST_STRING),
          { key: publicKey, dsaEncoding: 'der' },
          signature,
        ),
      ).toBe(true);
    }
  });

  it('signs what is piped on stdin', async () => {
    const result = await runCli(
      ['sign-string', '--certificate', ec.certPath, '--private-key', ec.keyPath, '--format', 'text'],
      {
        input: 'piped data',
      },
    );
    expect(result.code).toBe(0);
    const publicKey = createPublicKey(readFileSync(ec.certPath));
    expect(
      verify(
        'sha256',
        Buffer.from('piped data'),
        { key: publicKey, dsaEncoding: 'der' },
        Buffer.from(result.stdout, 'hex'),
      ),
    ).toBe(true);
  });

  it('prints the certificate data as aws_signing_helper does', async () => {
    const result = await runCli(['read-certificate-data', '--certificate', rsa.certPath]);
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.keyType).toBe('RSA');
    expect(data.serialNumber).toBe(BigInt(`0x${rsa.serialHex}`).toString(10));
    const der = Buffer.from(readFileSync(rsa.certPath, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(data.certificateData).toBe(der.toString('base64'));
    expect(data.supportedAlgorithms).toEqual(['SHA256', 'SHA384', 'SHA512']);
  });

  it('prints the version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const result = await runCli(['version']);
    expect(result.stdout.trim()).toBe(pkg.version);
  });
});
