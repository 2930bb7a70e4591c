import { hash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AgentError } from '../errors';
import type { Digest, KeyType } from '../signer/signer';

/** DER DigestInfo prefixes for PKCS#1 v1.5 (RFC 8017 section 9.2, note 1): prefix || hash. */
const DIGEST_INFO_PREFIX: Record<Digest, Buffer> = {
  SHA256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  SHA384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  SHA512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

const HASH: Record<Digest, string> = { SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };

const COMBINED: Record<KeyType, Record<Digest, number>> = {
  ec: {
    SHA256: pkcs11js.CKM_ECDSA_SHA256,
    SHA384: pkcs11js.CKM_ECDSA_SHA384,
    SHA512: pkcs11js.CKM_ECDSA_SHA512,
  },
  rsa: {
    SHA256: pkcs11js.CKM_SHA256_RSA_PKCS,
    SHA384: pkcs11js.CKM_SHA384_RSA_PKCS,
    SHA512: pkcs11js.CKM_SHA512_RSA_PKCS,
  },
};

export function digestInfo(digest: Digest, hash: Uint8Array): Buffer {
  return Buffer.concat([DIGEST_INFO_PREFIX[digest], hash]);
}

export interface SigningPlan {
  mechanism: number;
  /** Mechanism name for messages. */
  name: string;
  /** What goes into C_Sign for `data`: the data itself, its hash, or its DigestInfo. */
  input(data: Uint8Array): Buffer;
}

/** One-shot: no Hash object per signature, whose OpenSSL context lives until a collection reaches it. */
function hashOf(digest: Digest, data: Uint8Array): Buffer {
  return hash(HASH[digest], data, 'buffer');
}

/**
 * How to sign with `digest` on a token offering `mechanisms`: the combined hash-and-sign
 * mechanism when listed (CKM_ECDSA_SHA256, CKM_SHA256_RSA_PKCS...), else hash here and use
 * the raw one (CKM_ECDSA over the hash, CKM_RSA_PKCS over the DigestInfo).
 */
export function signingPlan(keyType: KeyType, digest: Digest, mechanisms: ReadonlySet<number>): SigningPlan {
  const combined = COMBINED[keyType][digest];
  if (mechanisms.has(combined)) {
    const name = keyType === 'ec' ? `CKM_ECDSA_${digest}` : `CKM_${digest}_RSA_PKCS`;
    return {
      mechanism: combined,
      name,
      input: (data) => Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    };
  }
  if (keyType === 'ec' && mechanisms.has(pkcs11js.CKM_ECDSA)) {
    return { mechanism: pkcs11js.CKM_ECDSA, name: 'CKM_ECDSA', input: (data) => hashOf(digest, data) };
  }
  if (keyType === 'rsa' && mechanisms.has(pkcs11js.CKM_RSA_PKCS)) {
    return {
      mechanism: pkcs11js.CKM_RSA_PKCS,
      name: 'CKM_RSA_PKCS',
      input: (data) => digestInfo(digest, hashOf(digest, data)),
    };
  }
  const wanted =
    keyType === 'ec' ? `CKM_ECDSA_${digest} or CKM_ECDSA` : `CKM_${digest}_RSA_PKCS or CKM_RSA_PKCS`;
  throw new AgentError(
    'PKCS11_MECHANISM_UNSUPPORTED',
    `the token offers no ${keyType === 'ec' ? 'ECDSA' : 'RSA PKCS#1 v1.5'} signing mechanism (${wanted})`,
    {
      hint: 'Roles Anywhere needs ECDSA or RSA PKCS#1 v1.5 signatures; check the token with `pkcs11-tool --module <lib> --list-mechanisms`',
    },
  );
}

/** One DER INTEGER (tag, length, value) for an unsigned big-endian number, minimally encoded. */
function writeInteger(out: Buffer, offset: number, value: Uint8Array): number {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const pad = (value[start] as number) & 0x80 ? 1 : 0;
  const length = value.length - start + pad;
  out[offset] = 0x02;
  out[offset + 1] = length;
  if (pad) out[offset + 2] = 0;
  out.set(value.subarray(start), offset + 2 + pad);
  return offset + 2 + length;
}

function integerLength(value: Uint8Array): number {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  return 2 + value.length - start + ((value[start] as number) & 0x80 ? 1 : 0);
}

/**
 * PKCS#11 ECDSA signatures are r || s; Roles Anywhere wants the DER ECDSA-Sig-Value
 * (SEQUENCE { INTEGER r, INTEGER s }). Encoded here rather than with @peculiar/x509's
 * AsnEcSignatureFormatter (which gives the same bytes, see the test) because this runs once per
 * signature on the event loop: ~0.3 µs instead of ~6.5 µs, which kept the Signer under 90 % of
 * raw pkcs11js throughput.
 */
export function ecdsaSignatureToDer(rs: Uint8Array): Uint8Array {
  if (rs.length === 0 || rs.length % 2 !== 0) throw new Error(`ECDSA signature of odd length ${rs.length}`);
  const half = rs.length / 2;
  const r = rs.subarray(0, half);
  const s = rs.subarray(half);
  const body = integerLength(r) + integerLength(s);
  // P-521 bodies pass 127 bytes: long-form length then.
  const header = body < 0x80 ? 2 : 3;
  const out = Buffer.allocUnsafe(header + body);
  out[0] = 0x30;
  if (header === 2) out[1] = body;
  else {
    out[1] = 0x81;
    out[2] = body;
  }
  writeInteger(out, writeInteger(out, header, r), s);
  return out;
}
