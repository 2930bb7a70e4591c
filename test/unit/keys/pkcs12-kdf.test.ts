import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bmpPassword, PKCS12_KEY_ID, type Pkcs12Hash, pkcs12Kdf } from '../../../src/keys/pkcs12-kdf';
import { run } from '../../helpers/tools';

/** OpenSSL 3's own PKCS12KDF: the reference the derived bytes must equal. */
function opensslKdf(
  hash: string,
  password: Buffer,
  salt: Buffer,
  iterations: number,
  id: number,
  length: number,
): string {
  const out = run('/usr/bin/openssl', [
    'kdf',
    '-keylen',
    String(length),
    '-kdfopt',
    `digest:${hash}`,
    '-kdfopt',
    `hexpass:${password.toString('hex')}`,
    '-kdfopt',
    `hexsalt:${salt.toString('hex')}`,
    '-kdfopt',
    `iter:${iterations}`,
    '-kdfopt',
    `id:${id}`,
    'PKCS12KDF',
  ]);
  return out.toString().trim().replace(/:/g, '').toLowerCase();
}

describe('pkcs12Kdf', () => {
  it('encodes passwords as NUL-terminated UTF-16BE', () => {
    expect(bmpPassword('smeg').toString('hex')).toBe('0073006d006500670000');
    expect(bmpPassword('').toString('hex')).toBe('0000');
    expect(bmpPassword('é€').toString('hex')).toBe('00e920ac0000');
  });

  it('matches the published SHA-1 vector (password "smeg", salt 0a58cf64530d823f)', () => {
    const key = pkcs12Kdf(
      'sha1',
      bmpPassword('smeg'),
      Buffer.from('0a58cf64530d823f', 'hex'),
      1,
      PKCS12_KEY_ID.key,
      24,
    );
    expect(key.toString('hex')).toBe('8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3');
  });

  const cases: Array<[Pkcs12Hash, string, number, number, number]> = [
    ['sha1', 'SHA1', 1, 24, PKCS12_KEY_ID.key],
    ['sha1', 'SHA1', 2048, 8, PKCS12_KEY_ID.iv],
    ['sha1', 'SHA1', 3, 100, PKCS12_KEY_ID.key],
    ['sha256', 'SHA256', 2048, 32, PKCS12_KEY_ID.mac],
    ['sha256', 'SHA256', 5, 70, PKCS12_KEY_ID.mac],
    ['sha384', 'SHA384', 7, 48, PKCS12_KEY_ID.mac],
    ['sha512', 'SHA512', 9, 200, PKCS12_KEY_ID.key],
    ['sha224', 'SHA224', 4, 28, PKCS12_KEY_ID.mac],
  ];
  it.each(cases)(
    'equals openssl PKCS12KDF for %s, %i iterations, %i bytes',
    (hash, opensslHash, iterations, length, id) => {
      for (const password of [
        bmpPassword('correct horse'),
        bmpPassword(''),
        Buffer.alloc(0),
        bmpPassword('x'.repeat(70)),
      ]) {
        for (const salt of [randomBytes(8), randomBytes(20), randomBytes(65)]) {
          const ours = pkcs12Kdf(hash, password, salt, iterations, id, length).toString('hex');
          expect(ours).toBe(opensslKdf(opensslHash, password, salt, iterations, id, length));
        }
      }
    },
  );

  it('refuses a zero iteration count', () => {
    expect(() => pkcs12Kdf('sha1', bmpPassword('a'), Buffer.alloc(8), 0, 1, 8)).toThrow(RangeError);
  });
});
