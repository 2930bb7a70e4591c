// RC2 (RFC 2268), decryption only. `openssl pkcs12 -legacy` and Windows encrypt the certificates of a
// PKCS#12 bundle with 40-bit RC2; Node's OpenSSL 3 keeps RC2 in the legacy provider, which is not
// loaded in a normal process, so this small cipher is written here.

// "PITABLE": a permutation of 0..255 built from the digits of pi (RFC 2268, section 2).
const PITABLE = Uint8Array.from(
  Buffer.from(
    'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32' +
      'bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626' +
      '6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a' +
      '961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731' +
      '2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2e' +
      'c5f3db47e5a59c770aa62068fe7fc1ad',
    'hex',
  ),
);

const ROTATIONS = [1, 2, 3, 5] as const;

/** The 64 16-bit round keys K[0..63] of RFC 2268 section 2. */
export function expandRc2Key(key: Uint8Array, effectiveBits: number): Uint16Array {
  if (key.length < 1 || key.length > 128) throw new RangeError('rc2 key must be 1 to 128 bytes');
  if (effectiveBits < 1 || effectiveBits > 1024)
    throw new RangeError('rc2 effective key bits must be 1 to 1024');
  const l = new Uint8Array(128);
  l.set(key);
  const t = key.length;
  for (let i = t; i < 128; i++) l[i] = PITABLE[((l[i - 1] ?? 0) + (l[i - t] ?? 0)) & 0xff] ?? 0;
  const t8 = Math.ceil(effectiveBits / 8);
  const tm = 0xff >> (8 * t8 - effectiveBits);
  l[128 - t8] = PITABLE[(l[128 - t8] ?? 0) & tm] ?? 0;
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[(l[i + 1] ?? 0) ^ (l[i + t8] ?? 0)] ?? 0;
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = (l[2 * i] ?? 0) | ((l[2 * i + 1] ?? 0) << 8);
  return k;
}

/** Decrypts one 8-byte block in place (RFC 2268 section 4: r-mix and r-mash rounds in reverse). */
export function rc2DecryptBlock(k: Uint16Array, block: Uint8Array): void {
  const r = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) r[i] = (block[2 * i] ?? 0) | ((block[2 * i + 1] ?? 0) << 8);
  let j = 63;
  const word = (i: number) => r[i & 3] ?? 0;
  const reverseMix = () => {
    for (let i = 3; i >= 0; i--) {
      const s = ROTATIONS[i] ?? 0;
      const w = word(i);
      const rotated = ((w >>> s) | (w << (16 - s))) & 0xffff;
      const mixed = (k[j] ?? 0) + (word(i + 3) & word(i + 2)) + (~word(i + 3) & word(i + 1));
      r[i] = (rotated - mixed) & 0xffff;
      j--;
    }
  };
  const reverseMash = () => {
    for (let i = 3; i >= 0; i--) r[i] = (word(i) - (k[word(i + 3) & 63] ?? 0)) & 0xffff;
  };
  const rounds = (count: number) => {
    for (let n = 0; n < count; n++) reverseMix();
  };
  rounds(5);
  reverseMash();
  rounds(6);
  reverseMash();
  rounds(5);
  for (let i = 0; i < 4; i++) {
    block[2 * i] = word(i) & 0xff;
    block[2 * i + 1] = word(i) >>> 8;
  }
}

/** RC2-CBC decryption with PKCS#7 padding removed; throws on a bad length or bad padding. */
export function rc2CbcDecrypt(
  key: Uint8Array,
  effectiveBits: number,
  iv: Uint8Array,
  data: Uint8Array,
): Buffer {
  if (iv.length !== 8) throw new RangeError('rc2 iv must be 8 bytes');
  if (data.length === 0 || data.length % 8 !== 0)
    throw new Error('bad decrypt: rc2 data is not a whole number of blocks');
  const k = expandRc2Key(key, effectiveBits);
  const out = Buffer.from(data);
  let previous = Buffer.from(iv);
  for (let offset = 0; offset < out.length; offset += 8) {
    const block = out.subarray(offset, offset + 8);
    const cipherText = Buffer.from(block);
    rc2DecryptBlock(k, block);
    for (let i = 0; i < 8; i++) block[i] = (block[i] ?? 0) ^ (previous[i] ?? 0);
    previous = cipherText;
  }
  return removePkcs7Padding(out, 8);
}

function removePkcs7Padding(data: Buffer, blockSize: number): Buffer {
  const pad = data[data.length - 1] ?? 0;
  if (pad < 1 || pad > blockSize) throw new Error('bad decrypt: invalid padding');
  for (let i = data.length - pad; i < data.length; i++) {
    if (data[i] !== pad) throw new Error('bad decrypt: invalid padding');
  }
  return data.subarray(0, data.length - pad);
}
