import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandRc2Key, rc2CbcDecrypt, rc2DecryptBlock } from '../../../src/keys/rc2';
import { makeTempDir } from '../../helpers/tmp';
import { run } from '../../helpers/tools';

// RFC 2268 section 5: key, effective key bits, plaintext, ciphertext.
const RFC_2268_VECTORS = [
  ['0000000000000000', 63, '0000000000000000', 'ebb773f993278eff'],
  ['ffffffffffffffff', 64, 'ffffffffffffffff', '278b27e42e2f0d49'],
  ['3000000000000000', 64, '1000000000000001', '30649edf9be7d2c2'],
  ['88', 64, '0000000000000000', '61a8a244adacccf0'],
  ['88bca90e90875a', 64, '0000000000000000', '6ccf4308974c267f'],
  ['88bca90e90875a7f0f79c384627bafb2', 64, '0000000000000000', '1a807d272bbe5db1'],
  ['88bca90e90875a7f0f79c384627bafb2', 128, '0000000000000000', '2269552ab0f85ca6'],
  [
    '88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e',
    129,
    '0000000000000000',
    '5b78d3a43dfff1f1',
  ],
] as const;

describe('rc2', () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.remove());

  it.each(RFC_2268_VECTORS)('decrypts the RFC 2268 vector key=%s bits=%i', (key, bits, plain, cipher) => {
    const block = Buffer.from(cipher, 'hex');
    rc2DecryptBlock(expandRc2Key(Buffer.from(key, 'hex'), bits), block);
    expect(block.toString('hex')).toBe(plain);
  });

  // openssl's legacy provider is the reference implementation PKCS#12 -legacy bundles come from.
  it.each([
    ['rc2-40-cbc', 5, 40],
    ['rc2-64-cbc', 8, 64],
    ['rc2-cbc', 16, 128],
  ] as const)('decrypts what openssl enc -%s encrypted', (cipher, keyBytes, bits) => {
    for (const length of [0, 1, 7, 8, 9, 100]) {
      const plain = randomBytes(length);
      const key = randomBytes(keyBytes);
      const iv = randomBytes(8);
      const input = join(tmp.path, `${cipher}-${length}.in`);
      writeFileSync(input, plain);
      const encrypted = run('/usr/bin/openssl', [
        'enc',
        `-${cipher}`,
        '-provider',
        'legacy',
        '-provider',
        'default',
        '-K',
        key.toString('hex'),
        '-iv',
        iv.toString('hex'),
        '-in',
        input,
      ]);
      expect(encrypted.length % 8).toBe(0);
      expect(rc2CbcDecrypt(key, bits, iv, encrypted).equals(plain)).toBe(true);
    }
  });

  it('refuses bad padding and partial blocks instead of returning garbage', () => {
    const key = Buffer.from('0102030405', 'hex');
    const iv = Buffer.alloc(8);
    const input = join(tmp.path, 'pad.in');
    writeFileSync(input, 'x');
    const encrypted = run('/usr/bin/openssl', [
      'enc',
      '-rc2-40-cbc',
      '-provider',
      'legacy',
      '-provider',
      'default',
      '-K',
      '0102030405',
      '-iv',
      iv.toString('hex'),
      '-in',
      input,
    ]);
    expect(() => rc2CbcDecrypt(Buffer.from('0102030406', 'hex'), 40, iv, encrypted)).toThrow(/bad decrypt/);
    expect(() => rc2CbcDecrypt(key, 40, iv, encrypted.subarray(0, 7))).toThrow(/bad decrypt/);
  });
});
