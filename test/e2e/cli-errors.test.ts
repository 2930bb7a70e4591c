import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { createRootCa, issueLeaf, type TestCa, type TestLeaf, writeEncryptedPkcs8Key } from '../helpers/pki';
import { makeTempDir } from '../helpers/tmp';

const PASSWORD = 'Never-Echo-This-9931';

/**
 * Every bad input a user can give the key commands: one `error:` line, one `hint:` line, a
 * non-zero exit, no stack trace, and no password echoed. Token errors are in cli-pkcs11-errors.
 */
describe('CLI: bad key and certificate input', () => {
  const dir = makeTempDir();
  const path = (name: string) => join(dir.path, name);
  let ca: TestCa;
  let leaf: TestLeaf;
  let other: TestLeaf;

  beforeAll(() => {
    ca = createRootCa(dir.path);
    leaf = issueLeaf(dir.path, ca, { name: 'leaf' });
    other = issueLeaf(dir.path, ca, { name: 'other' });
    writeFileSync(
      path('garbage.pem'),
      '-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n',
    );
    writeEncryptedPkcs8Key(leaf.keyPath, path('encrypted.key'), PASSWORD);
    issueLeaf(dir.path, ca, {
      name: 'no-digital-signature',
      extensions: ['basicConstraints=critical,CA:false', 'keyUsage=critical,keyEncipherment'],
    });
  });
  afterAll(() => dir.remove());

  const cases: Array<[string, () => string[], RegExp, number?]> = [
    [
      'missing certificate file',
      () => ['--certificate', path('nope.crt'), '--private-key', leaf.keyPath],
      /nope\.crt.*no such file/,
    ],
    [
      'missing key file',
      () => ['--certificate', leaf.certPath, '--private-key', path('nope.key')],
      /nope\.key.*no such file/,
    ],
    [
      'a directory as the certificate',
      () => ['--certificate', dir.path, '--private-key', leaf.keyPath],
      /cannot read certificate/,
    ],
    [
      'PEM that is not a key',
      () => ['--certificate', leaf.certPath, '--private-key', path('garbage.pem')],
      /private key/,
    ],
    [
      'a certificate as the key',
      () => ['--certificate', leaf.certPath, '--private-key', leaf.certPath],
      /private key/,
    ],
    [
      'a key as the certificate',
      () => ['--certificate', leaf.keyPath, '--private-key', leaf.keyPath],
      /not an x\.509 certificate/i,
    ],
    [
      'key that does not match',
      () => ['--certificate', leaf.certPath, '--private-key', other.keyPath],
      /does not match/,
    ],
    [
      'encrypted key, no password',
      () => ['--certificate', leaf.certPath, '--private-key', path('encrypted.key')],
      /password/,
    ],
    [
      'encrypted key, wrong password',
      () => [
        '--certificate',
        leaf.certPath,
        '--private-key',
        path('encrypted.key'),
        '--pkcs8-password',
        'wrong-one',
      ],
      /password/,
    ],
    [
      'a CA certificate as the leaf',
      () => ['--certificate', ca.certPath, '--private-key', ca.keyPath],
      /is a CA certificate/,
    ],
    [
      'a certificate without digitalSignature',
      () => [
        '--certificate',
        path('no-digital-signature.crt'),
        '--private-key',
        path('no-digital-signature.key'),
      ],
      /digitalSignature/,
    ],
    ['no certificate at all', () => ['--private-key', leaf.keyPath], /no certificate given/],
    [
      'a Windows store selector',
      () => ['--cert-selector', 'Key=x', '--certificate', leaf.certPath],
      /certificate stores/,
    ],
    ['an unknown flag', () => ['--certificat', leaf.certPath], /unknown argument/i, 2],
    [
      'a bad --digest',
      () => ['--certificate', leaf.certPath, '--private-key', leaf.keyPath, '--digest', 'MD5'],
      /invalid values/i,
      2,
    ],
  ];

  it.each(cases)('%s', async (_name, args, message, exitCode = 1) => {
    const result = await runCli(['sign-string', ...args(), '--format', 'text']);
    expect(result.code).toBe(exitCode);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: \S/);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(/^hint: \S/);
    expect(result.stderr).not.toContain(PASSWORD);
    expect(result.stderr).not.toContain('BEGIN');
  });

  it('shows the stack only with --debug', async () => {
    const result = await runCli([
      'sign-string',
      '--certificate',
      path('nope.crt'),
      '--private-key',
      leaf.keyPath,
      '--debug',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it('never echoes the password, even with --debug', async () => {
    const result = await runCli([
      'sign-string',
      '--certificate',
      leaf.certPath,
      '--private-key',
      path('encrypted.key'),
      '--pkcs8-password',
      `${PASSWORD}x`,
      '--debug',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain(PASSWORD);
  });
});
