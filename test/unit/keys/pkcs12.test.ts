import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { isPkcs12, type Pkcs12Contents, readPkcs12 } from '../../../src/keys/pkcs12';
import {
  createIntermediateCa,
  createRootCa,
  issueLeaf,
  type Pkcs12Options,
  type TestCa,
  type TestLeaf,
  writeDerCertificate,
  writePkcs8Key,
  writePkcs12,
} from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';

const PASSWORD = 'p12-Pa55word!';

function spkiHex(key: string | KeyObject): string {
  return createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('hex');
}

function subjects(contents: Pkcs12Contents): string[] {
  return contents.certificates.map((cert) => cert.subject);
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isAgentError(error) ? error.code : `not an AgentError: ${String(error)}`;
  }
  return undefined;
}

describe('readPkcs12', () => {
  const tmp = makeTempDir();
  let root: TestCa;
  let intermediate: TestCa;
  let ecLeaf: TestLeaf;
  let rsaLeaf: TestLeaf;

  beforeAll(() => {
    root = createRootCa(tmp.path);
    intermediate = createIntermediateCa(tmp.path, root);
    ecLeaf = issueLeaf(tmp.path, intermediate, { name: 'ec-device', keyType: 'ec-p256' });
    rsaLeaf = issueLeaf(tmp.path, intermediate, { name: 'rsa-device', keyType: 'rsa-2048' });
  });
  afterAll(() => tmp.remove());

  function bundle(name: string, leaf: TestLeaf, options: Partial<Pkcs12Options> = {}): Buffer {
    const path = writePkcs12(join(tmp.path, `${name}.p12`), {
      keyPath: leaf.keyPath,
      certPath: leaf.certPath,
      caPaths: [intermediate.certPath, root.certPath],
      password: PASSWORD,
      ...options,
    });
    return readFileSync(path);
  }

  it("reads OpenSSL 3's default bundle: PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256, SHA-256 MAC", () => {
    const contents = readPkcs12(bundle('default', ecLeaf), PASSWORD, 'certificate default.p12');
    expect(contents.mac).toBe('HMAC-SHA256');
    expect(new Set(contents.encryption)).toEqual(new Set(['PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)']));
    expect(contents.privateKeys.map((key) => spkiHex(key))).toEqual([spkiHex(ecLeaf.certPem)]);
    expect(new Set(subjects(contents))).toEqual(
      new Set([
        'O=rolesanywhere-agent tests, OU=DataCenter-Northeast, CN=ec-device',
        'O=rolesanywhere-agent tests, CN=Test Intermediate CA',
        'O=rolesanywhere-agent tests, CN=Test Root CA',
      ]),
    );
  });

  it('reads `openssl pkcs12 -legacy` bundles: RC2-40 certificates, 3DES key, SHA-1 MAC', () => {
    for (const leaf of [ecLeaf, rsaLeaf]) {
      const contents = readPkcs12(
        bundle(`legacy-${leaf === ecLeaf ? 'ec' : 'rsa'}`, leaf, { legacy: true }),
        PASSWORD,
        'legacy.p12',
      );
      expect(contents.mac).toBe('HMAC-SHA1');
      expect(new Set(contents.encryption)).toEqual(
        new Set(['pbeWithSHA1And40BitRC2-CBC', 'pbeWithSHA1And3-KeyTripleDES-CBC']),
      );
      expect(contents.privateKeys[0]?.asymmetricKeyType).toBe(leaf === ecLeaf ? 'ec' : 'rsa');
      expect(subjects(contents)).toHaveLength(3);
    }
  });

  it('reads other scheme mixes: AES-128 with an HMAC-SHA512 PRF, SHA-384/512 MACs, 2-key 3DES, 128-bit RC2', () => {
    const cases: Array<[string[], string, string[]]> = [
      [
        ['-keypbe', 'AES-128-CBC', '-certpbe', 'AES-192-CBC', '-macalg', 'sha384'],
        'HMAC-SHA384',
        ['PBES2 (PBKDF2-HMAC-SHA256, AES-128-CBC)', 'PBES2 (PBKDF2-HMAC-SHA256, AES-192-CBC)'],
      ],
      [
        ['-keypbe', 'PBE-SHA1-2DES', '-certpbe', 'PBE-SHA1-RC2-128', '-macalg', 'sha512'],
        'HMAC-SHA512',
        ['pbeWithSHA1And2-KeyTripleDES-CBC', 'pbeWithSHA1And128BitRC2-CBC'],
      ],
      [
        ['-keypbe', 'DES-EDE3-CBC', '-certpbe', 'NONE', '-macalg', 'sha224'],
        'HMAC-SHA224',
        ['PBES2 (PBKDF2-HMAC-SHA256, 3DES-CBC)'],
      ],
    ];
    for (const [args, mac, encryption] of cases) {
      const contents = readPkcs12(
        bundle(`mix-${args[1]}`, ecLeaf, { extraArgs: args, legacy: args.includes('PBE-SHA1-RC2-128') }),
        PASSWORD,
        'mix.p12',
      );
      expect(contents.mac).toBe(mac);
      expect(new Set(contents.encryption)).toEqual(new Set(encryption));
      expect(contents.privateKeys).toHaveLength(1);
      expect(contents.certificates).toHaveLength(3);
    }
  });

  it('opens bundles made with the empty password, with or without a password argument of ""', () => {
    for (const legacy of [false, true]) {
      const bytes = bundle(`empty-${legacy}`, ecLeaf, { password: '', legacy });
      expect(readPkcs12(bytes, undefined, 'empty.p12').privateKeys).toHaveLength(1);
      expect(readPkcs12(bytes, '', 'empty.p12').certificates).toHaveLength(3);
      expect(codeOf(() => readPkcs12(bytes, 'not-empty', 'empty.p12'))).toBe('KEY_PASSWORD_INCORRECT');
    }
  });

  it('reads an unencrypted bundle (plain key bag) and a bundle without a MAC', () => {
    const plain = readPkcs12(
      bundle('plain', rsaLeaf, { extraArgs: ['-keypbe', 'NONE', '-certpbe', 'NONE'] }),
      PASSWORD,
      'plain.p12',
    );
    expect(plain.encryption).toEqual([]);
    expect(plain.privateKeys[0]?.asymmetricKeyType).toBe('rsa');
    const noMac = bundle('nomac', ecLeaf, { extraArgs: ['-nomac'] });
    const contents = readPkcs12(noMac, PASSWORD, 'nomac.p12');
    expect(contents.mac).toBeUndefined();
    expect(contents.privateKeys).toHaveLength(1);
    // Without a MAC the wrong password shows up as a failed decryption.
    expect(codeOf(() => readPkcs12(noMac, 'wrong', 'nomac.p12'))).toBe('KEY_PASSWORD_INCORRECT');
  });

  it('tells a missing password from a wrong one, and never echoes it', () => {
    const bytes = bundle('wrong', ecLeaf);
    expect(codeOf(() => readPkcs12(bytes, undefined, 'wrong.p12'))).toBe('KEY_PASSWORD_REQUIRED');
    try {
      readPkcs12(bytes, 'Wrong-Secret-123', 'certificate wrong.p12');
      expect.unreachable();
    } catch (error) {
      expect(isAgentError(error) && error.code).toBe('KEY_PASSWORD_INCORRECT');
      const text = `${(error as Error).message} ${isAgentError(error) ? error.hint : ''}`;
      expect(text).toContain('wrong.p12');
      expect(text).not.toContain('Wrong-Secret-123');
      expect(text).not.toContain(PASSWORD);
    }
  });

  it('reports damaged and unsupported bundles with their own codes', () => {
    const bytes = bundle('damaged', ecLeaf);
    expect(codeOf(() => readPkcs12(bytes.subarray(0, bytes.length - 40), PASSWORD, 'cut.p12'))).toBe(
      'PKCS12_INVALID',
    );
    expect(codeOf(() => readPkcs12(Buffer.from('not a bundle'), PASSWORD, 'text.p12'))).toBe(
      'PKCS12_INVALID',
    );
    const camellia = bundle('camellia', ecLeaf, { extraArgs: ['-keypbe', 'CAMELLIA-256-CBC'] });
    expect(codeOf(() => readPkcs12(camellia, PASSWORD, 'camellia.p12'))).toBe('PKCS12_UNSUPPORTED');
  });

  it('finds bundles by content, not by name', () => {
    const p12 = bundle('detect', ecLeaf);
    writeFileSync(join(tmp.path, 'bundle-without-extension'), p12);
    expect(isPkcs12(readFileSync(join(tmp.path, 'bundle-without-extension')))).toBe(true);
    expect(isPkcs12(bundle('detect-legacy', rsaLeaf, { legacy: true }))).toBe(true);
    expect(isPkcs12(Buffer.from(ecLeaf.certPem))).toBe(false);
    expect(isPkcs12(readFileSync(writeDerCertificate(ecLeaf.certPath, join(tmp.path, 'leaf.der'))))).toBe(
      false,
    );
    expect(isPkcs12(readFileSync(writePkcs8Key(rsaLeaf.keyPath, join(tmp.path, 'key.der'), 'DER')))).toBe(
      false,
    );
    expect(isPkcs12(Buffer.alloc(0))).toBe(false);
    // A cut bundle is still recognised, so it is reported as a damaged bundle, not as a bad certificate.
    expect(isPkcs12(p12.subarray(0, 40))).toBe(true);
  });
});
