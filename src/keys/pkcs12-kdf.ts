import { createHash } from 'node:crypto';

/** Hashes the PKCS#12 KDF is used with: output size u and block size v, in bytes. */
const HASHES = {
  sha1: { u: 20, v: 64 },
  sha224: { u: 28, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
} as const;

export type Pkcs12Hash = keyof typeof HASHES;

/** What a derived value is for (RFC 7292 B.3): cipher key, IV, or MAC key. */
export const PKCS12_KEY_ID = { key: 1, iv: 2, mac: 3 } as const;

/**
 * The password as PKCS#12 hashes it: a BMPString (UTF-16 big-endian) with a two-byte NUL
 * terminator, as OpenSSL and Windows encode it.
 */
export function bmpPassword(password: string): Buffer {
  const utf16le = Buffer.from(`${password}\0`, 'utf16le');
  return utf16le.swap16();
}

/**
 * The PKCS#12 key derivation function (RFC 7292 appendix B.2), used by the legacy PBE ciphers and
 * by the bundle's integrity MAC. Node has no such KDF; OpenSSL names it PKCS12KDF.
 */
export function pkcs12Kdf(
  hash: Pkcs12Hash,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  id: number,
  length: number,
): Buffer {
  const { u, v } = HASHES[hash];
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new RangeError('pkcs12 kdf iterations must be >= 1');
  const diversifier = Buffer.alloc(v, id);
  const input = Buffer.concat([fillTo(salt, v), fillTo(password, v)]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let a = createHash(hash).update(diversifier).update(input).digest();
    for (let i = 1; i < iterations; i++) a = createHash(hash).update(a).digest();
    blocks.push(a);
    if (produced + u >= length) break;
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block of I, with B = A repeated to v bytes.
    const b = fillTo(a, v);
    for (let offset = 0; offset < input.length; offset += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (input[offset + k] ?? 0) + (b[k] ?? 0) + carry;
        input[offset + k] = sum & 0xff;
        carry = sum >>> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** `data` repeated to fill v * ceil(len / v) bytes; empty stays empty. */
function fillTo(data: Uint8Array, v: number): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const out = Buffer.alloc(v * Math.ceil(data.length / v));
  for (let i = 0; i < out.length; i++) out[i] = data[i % data.length] ?? 0;
  return out;
}
