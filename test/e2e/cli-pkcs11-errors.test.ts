import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { createRootCa, issueLeaf, type TestLeaf } from '../helpers/pki';
import {
  addSoftHsmToken,
  createSoftHsmToken,
  importCertificate,
  importKey,
  type SoftHsmToken,
  setSoftHsmTokenFlags,
} from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

const PIN = '604418';
const WRONG_PIN = '771935';
const CKF_USER_PIN_LOCKED = 0x00040000;

/**
 * Every token-side bad input through the CLI as users meet it: one `error:` line, one `hint:`
 * line, exit 1, no stack trace, no PIN echoed (neither the right one nor the wrong one).
 */
describe('CLI: bad PKCS#11 input', () => {
  const dir = makeTempDir('ra-cli-pkcs11-');
  let token: SoftHsmToken;
  let device: TestLeaf;
  let ca: ReturnType<typeof createRootCa>;
  const uri = (path: string, query = `module-path=${token.module}&pin-value=${PIN}`) =>
    `pkcs11:${path}?${query}`;

  beforeAll(() => {
    token = createSoftHsmToken(dir.path, 'edge', PIN);
    addSoftHsmToken(token, 'spare');
    addSoftHsmToken(token, 'locked');
    ca = createRootCa(dir.path);
    device = issueLeaf(dir.path, ca, { name: 'device' });
    const other = issueLeaf(dir.path, ca, { name: 'other' });
    importKey(token, device.keyPath, '01', 'device');
    importCertificate(token, device.certPath, '01', 'device');
    importKey(token, other.keyPath, '02', 'twin');
    importKey(token, device.keyPath, '03', 'twin');
    importKey(token, device.keyPath, '04', 'mismatch');
    importCertificate(token, other.certPath, '04', 'mismatch');
    importKey(token, device.keyPath, '01', 'device', 'locked');
    setSoftHsmTokenFlags(token, 'locked', CKF_USER_PIN_LOCKED);
  });
  afterAll(() => dir.remove());

  const cases: Array<[string, () => string[], RegExp]> = [
    ['unknown URI attribute', () => ['--private-key', uri('token=edge;colour=blue')], /colour/],
    ['bad percent-encoding', () => ['--private-key', uri('token=ed%zzge;object=device')], /encod/i],
    [
      'no module at the path',
      () => [
        '--private-key',
        uri('token=edge;object=device', `module-path=${dir.path}/nope.so&pin-value=${PIN}`),
      ],
      /nope\.so/,
    ],
    ['no token matches', () => ['--private-key', uri('token=absent;object=device')], /absent/],
    ['several tokens match', () => ['--private-key', uri('object=device')], /tokens/],
    ['no key matches', () => ['--private-key', uri('token=edge;object=nothing-here')], /nothing-here/],
    ['several keys match', () => ['--private-key', uri('token=edge;object=twin')], /twin/],
    [
      'key does not match the certificate',
      () => ['--private-key', uri('token=edge;object=mismatch')],
      /does not match|match/,
    ],
    [
      'wrong PIN',
      () => [
        '--private-key',
        uri('token=edge;object=device', `module-path=${token.module}&pin-value=${WRONG_PIN}`),
      ],
      /incorrect/,
    ],
    ['locked PIN', () => ['--private-key', uri('token=locked;object=device')], /locked/],
    [
      'no PIN anywhere (no terminal)',
      () => ['--private-key', uri('token=edge;object=device', `module-path=${token.module}`)],
      /pin/i,
    ],
    [
      'a CA certificate as the leaf',
      () => ['--private-key', uri('token=edge;object=device'), '--certificate', ca.certPath],
      /CA certificate|does not match/,
    ],
  ];

  it.each(cases)('%s', async (_name, args, message) => {
    const env = { ...token.env };
    delete env.RA_PKCS11_PIN;
    const result = await runCli(['sign-string', ...args(), '--format', 'text'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: \S/);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(/^hint: \S/);
    expect(result.stderr).not.toContain(PIN);
    expect(result.stderr).not.toContain(WRONG_PIN);
  });

  it('signs with the same key once the input is right, and the PIN never shows even with --debug', async () => {
    const good = await runCli(
      ['sign-string', '--private-key', uri('token=edge;object=device'), '--format', 'text', '--debug'],
      {
        env: token.env,
      },
    );
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^[0-9a-f]+$/);
    expect(good.stderr).not.toContain(PIN);
  });
});
