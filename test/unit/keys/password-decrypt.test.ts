import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { AsnConvert } from '@peculiar/asn1-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decryptWithPassword,
  describePasswordEncryption,
  type PasswordBytes,
  PasswordDecryptError,
} from '../../../src/keys/password-decrypt';
import { bmpPassword } from '../../../src/keys/pkcs12-kdf';
import {
  createRootCa,
  issueLeaf,
  type TestLeaf,
  writeEncryptedPkcs8Key,
  writePkcs8Key,
} from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { run } from '../../helpers/tools';

const PASSWORD = 'pbe-pässword';

function passwordBytes(password: string): PasswordBytes {
  return { utf8: Buffer.from(password, 'utf8'), bmp: bmpPassword(password) };
}

function reasonOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof PasswordDecryptError ? error.reason : `unexpected ${String(error)}`;
  }
  return undefined;
}

// Every scheme is checked against what openssl itself encrypted: the plaintext must be the key's PKCS#8 DER.
describe('decryptWithPassword', () => {
  const tmp = makeTempDir();
  let leaf: TestLeaf;
  let plainDer: Buffer;
  let n = 0;

  beforeAll(() => {
    leaf = issueLeaf(tmp.path, createRootCa(tmp.path), { keyType: 'ec-p256' });
    plainDer = readFileSync(writePkcs8Key(leaf.keyPath, join(tmp.path, 'plain.der'), 'DER'));
  });
  afterAll(() => tmp.remove());

  function encrypted(options: { v2?: string; v1?: string; prf?: string }): EncryptedPrivateKeyInfo {
    const out = join(tmp.path, `enc-${n++}.der`);
    if (options.prf) {
      run('/usr/bin/openssl', [
        'pkcs8',
        '-topk8',
        '-in',
        leaf.keyPath,
        '-v2',
        options.v2 ?? 'aes-256-cbc',
        '-v2prf',
        options.prf,
        '-passout',
        `pass:${PASSWORD}`,
        '-outform',
        'DER',
        '-out',
        out,
      ]);
    } else {
      writeEncryptedPkcs8Key(leaf.keyPath, out, PASSWORD, { outform: 'DER', ...options });
    }
    return AsnConvert.parse(readFileSync(out), EncryptedPrivateKeyInfo);
  }

  const schemes: Array<[{ v2?: string; v1?: string; prf?: string }, string]> = [
    [{}, 'PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)'],
    [{ v2: 'aes-128-cbc', prf: 'hmacWithSHA1' }, 'PBES2 (PBKDF2-HMAC-SHA1, AES-128-CBC)'],
    [{ v2: 'aes-192-cbc', prf: 'hmacWithSHA512' }, 'PBES2 (PBKDF2-HMAC-SHA512, AES-192-CBC)'],
    [{ v2: 'des-ede3-cbc', prf: 'hmacWithSHA384' }, 'PBES2 (PBKDF2-HMAC-SHA384, 3DES-CBC)'],
    [{ v2: 'aes-256-cbc', prf: 'hmacWithSHA224' }, 'PBES2 (PBKDF2-HMAC-SHA224, AES-256-CBC)'],
    [{ v1: 'PBE-SHA1-3DES' }, 'pbeWithSHA1And3-KeyTripleDES-CBC'],
    [{ v1: 'PBE-SHA1-2DES' }, 'pbeWithSHA1And2-KeyTripleDES-CBC'],
  ];
  it.each(schemes)('decrypts %j (%s)', (options, label) => {
    const info = encrypted(options);
    expect(describePasswordEncryption(info.encryptionAlgorithm)).toBe(label);
    const plain = decryptWithPassword(
      info.encryptionAlgorithm,
      new Uint8Array(info.encryptedData.buffer),
      passwordBytes(PASSWORD),
    );
    expect(plain.equals(plainDer)).toBe(true);
  });

  it('decrypts the RC2 PKCS#12 PBE schemes (openssl legacy provider)', () => {
    for (const [v1, label] of [
      ['PBE-SHA1-RC2-40', 'pbeWithSHA1And40BitRC2-CBC'],
      ['PBE-SHA1-RC2-128', 'pbeWithSHA1And128BitRC2-CBC'],
    ]) {
      const out = join(tmp.path, `rc2-${v1}.der`);
      run('/usr/bin/openssl', [
        'pkcs8',
        '-topk8',
        '-in',
        leaf.keyPath,
        '-v1',
        v1 ?? '',
        '-provider',
        'legacy',
        '-provider',
        'default',
        '-passout',
        `pass:${PASSWORD}`,
        '-outform',
        'DER',
        '-out',
        out,
      ]);
      const info = AsnConvert.parse(readFileSync(out), EncryptedPrivateKeyInfo);
      expect(describePasswordEncryption(info.encryptionAlgorithm)).toBe(label);
      const plain = decryptWithPassword(
        info.encryptionAlgorithm,
        new Uint8Array(info.encryptedData.buffer),
        passwordBytes(PASSWORD),
      );
      expect(plain.equals(plainDer)).toBe(true);
    }
  });

  it('fails with bad-decrypt on a wrong password (PBES2 and PKCS#12 PBE)', () => {
    for (const options of [{}, { v1: 'PBE-SHA1-3DES' }]) {
      const info = encrypted(options);
      const data = new Uint8Array(info.encryptedData.buffer);
      // A wrong password passes the CBC padding check about 1 time in 256, so try several: at most
      // one may slip through the padding check, and none may give the key back.
      const outcomes = ['wrong-1', 'wrong-2', 'wrong-3', 'wrong-4'].map((wrong) => {
        try {
          return decryptWithPassword(info.encryptionAlgorithm, data, passwordBytes(wrong)).equals(plainDer)
            ? 'key'
            : 'garbage';
        } catch (error) {
          return error instanceof PasswordDecryptError ? error.reason : String(error);
        }
      });
      expect(outcomes).not.toContain('key');
      expect(outcomes.filter((outcome) => outcome === 'bad-decrypt').length).toBeGreaterThanOrEqual(3);
    }
  });

  it('reports unknown schemes and malformed parameters', () => {
    const info = encrypted({});
    const data = new Uint8Array(info.encryptedData.buffer);
    const unknown = {
      algorithm: '1.2.3.4',
      parameters: null,
    } as EncryptedPrivateKeyInfo['encryptionAlgorithm'];
    expect(reasonOf(() => decryptWithPassword(unknown, data, passwordBytes(PASSWORD)))).toBe('unsupported');
    const broken = {
      algorithm: info.encryptionAlgorithm.algorithm,
      parameters: new Uint8Array([0x30, 0x03, 0x02]).buffer,
    };
    expect(reasonOf(() => decryptWithPassword(broken as typeof unknown, data, passwordBytes(PASSWORD)))).toBe(
      'invalid',
    );
    const scrypt = join(tmp.path, 'scrypt.der');
    run('/usr/bin/openssl', [
      'pkcs8',
      '-topk8',
      '-in',
      leaf.keyPath,
      '-scrypt',
      '-passout',
      `pass:${PASSWORD}`,
      '-outform',
      'DER',
      '-out',
      scrypt,
    ]);
    const scryptInfo = AsnConvert.parse(readFileSync(scrypt), EncryptedPrivateKeyInfo);
    expect(
      reasonOf(() =>
        decryptWithPassword(
          scryptInfo.encryptionAlgorithm,
          new Uint8Array(scryptInfo.encryptedData.buffer),
          passwordBytes(PASSWORD),
        ),
      ),
    ).toBe('unsupported');
  });
});
