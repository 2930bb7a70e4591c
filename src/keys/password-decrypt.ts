import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OID, Pbes2Params, Pbkdf2Params, Pkcs12PbeParams } from './pbe-asn1';
import { PKCS12_KEY_ID, pkcs12Kdf } from './pkcs12-kdf';
import { rc2CbcDecrypt } from './rc2';

/**
 * One password in the two encodings password-based encryption uses: PBES2 hashes its UTF-8 bytes,
 * the PKCS#12 KDF its NUL-terminated UTF-16BE form.
 */
export interface PasswordBytes {
  utf8: Uint8Array;
  bmp: Uint8Array;
}

export type PasswordDecryptFailure = 'unsupported' | 'invalid' | 'bad-decrypt';

/** Why decryption failed, without any password or key bytes in the message. */
export class PasswordDecryptError extends Error {
  readonly reason: PasswordDecryptFailure;
  constructor(reason: PasswordDecryptFailure, message: string) {
    super(message);
    this.name = 'PasswordDecryptError';
    this.reason = reason;
  }
}

// Bounds a crafted file's cost: OpenSSL writes 2048 (PKCS#12) or 2048..600000 (PKCS#8) iterations.
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_PKCS12_KDF_ITERATIONS = 1_000_000;

const PBES2_CIPHERS: Record<string, { name: string; keyLength: number; label: string }> = {
  [OID.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16, label: 'AES-128-CBC' },
  [OID.aes192Cbc]: { name: 'aes-192-cbc', keyLength: 24, label: 'AES-192-CBC' },
  [OID.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32, label: 'AES-256-CBC' },
  [OID.desEde3Cbc]: { name: 'des-ede3-cbc', keyLength: 24, label: '3DES-CBC' },
};

const PBKDF2_PRFS: Record<string, { hash: string; label: string }> = {
  [OID.hmacWithSha1]: { hash: 'sha1', label: 'HMAC-SHA1' },
  [OID.hmacWithSha224]: { hash: 'sha224', label: 'HMAC-SHA224' },
  [OID.hmacWithSha256]: { hash: 'sha256', label: 'HMAC-SHA256' },
  [OID.hmacWithSha384]: { hash: 'sha384', label: 'HMAC-SHA384' },
  [OID.hmacWithSha512]: { hash: 'sha512', label: 'HMAC-SHA512' },
};

type Pkcs12Cipher = {
  keyLength: number;
  label: string;
  decrypt: (key: Buffer, iv: Buffer, data: Uint8Array) => Buffer;
};

const PKCS12_PBE_CIPHERS: Record<string, Pkcs12Cipher> = {
  [OID.pbeWithSha1And3KeyTripleDesCbc]: {
    keyLength: 24,
    label: 'pbeWithSHA1And3-KeyTripleDES-CBC',
    decrypt: nodeDecrypt('des-ede3-cbc'),
  },
  [OID.pbeWithSha1And2KeyTripleDesCbc]: {
    keyLength: 16,
    label: 'pbeWithSHA1And2-KeyTripleDES-CBC',
    decrypt: nodeDecrypt('des-ede-cbc'),
  },
  [OID.pbeWithSha1And128BitRc2Cbc]: {
    keyLength: 16,
    label: 'pbeWithSHA1And128BitRC2-CBC',
    decrypt: rc2(128),
  },
  [OID.pbeWithSha1And40BitRc2Cbc]: { keyLength: 5, label: 'pbeWithSHA1And40BitRC2-CBC', decrypt: rc2(40) },
};

function nodeDecrypt(cipher: string) {
  return (key: Buffer, iv: Buffer, data: Uint8Array) => {
    const decipher = createDecipheriv(cipher, key, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  };
}

function rc2(effectiveBits: number) {
  return (key: Buffer, iv: Buffer, data: Uint8Array) => rc2CbcDecrypt(key, effectiveBits, iv, data);
}

/** A short name of the scheme for messages and diagnostics, e.g. "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)". */
export function describePasswordEncryption(algorithm: AlgorithmIdentifier): string {
  const legacy = PKCS12_PBE_CIPHERS[algorithm.algorithm];
  if (legacy) return legacy.label;
  if (algorithm.algorithm !== OID.pbes2) return `unknown scheme ${algorithm.algorithm}`;
  try {
    const { kdf, prf, cipher } = readPbes2(algorithm);
    return `PBES2 (${kdf ? `PBKDF2-${prf?.label ?? 'unknown PRF'}` : 'unknown KDF'}, ${cipher?.label ?? 'unknown cipher'})`;
  } catch {
    return 'PBES2 (unreadable parameters)';
  }
}

/**
 * Decrypts PKCS#8 EncryptedPrivateKeyInfo or PKCS#12 EncryptedData content: PBES2 (PBKDF2 with
 * HMAC-SHA1..512, AES-CBC or 3DES) as OpenSSL 3 writes by default, and the PKCS#12 PBE schemes
 * (SHA-1 with 3DES or RC2) that `openssl pkcs12 -legacy` and Windows write.
 */
export function decryptWithPassword(
  algorithm: AlgorithmIdentifier,
  data: Uint8Array,
  password: PasswordBytes,
): Buffer {
  const legacy = PKCS12_PBE_CIPHERS[algorithm.algorithm];
  if (legacy) return decryptPkcs12Pbe(legacy, algorithm, data, password.bmp);
  if (algorithm.algorithm === OID.pbes2) return decryptPbes2(algorithm, data, password.utf8);
  throw new PasswordDecryptError('unsupported', `unsupported encryption scheme ${algorithm.algorithm}`);
}

function decryptPkcs12Pbe(
  cipher: Pkcs12Cipher,
  algorithm: AlgorithmIdentifier,
  data: Uint8Array,
  password: Uint8Array,
): Buffer {
  const params = parseParams(algorithm, Pkcs12PbeParams, cipher.label);
  if (params.iterations < 1 || params.iterations > MAX_PKCS12_KDF_ITERATIONS) {
    throw new PasswordDecryptError(
      'unsupported',
      `${cipher.label} iteration count ${params.iterations} is out of range`,
    );
  }
  const salt = new Uint8Array(params.salt.buffer);
  const key = pkcs12Kdf('sha1', password, salt, params.iterations, PKCS12_KEY_ID.key, cipher.keyLength);
  const iv = pkcs12Kdf('sha1', password, salt, params.iterations, PKCS12_KEY_ID.iv, 8);
  return runDecrypt(() => cipher.decrypt(key, iv, data), cipher.label);
}

function decryptPbes2(algorithm: AlgorithmIdentifier, data: Uint8Array, password: Uint8Array): Buffer {
  const { kdf, prf, cipher, scheme } = readPbes2(algorithm);
  if (!kdf)
    throw new PasswordDecryptError(
      'unsupported',
      'unsupported PBES2 key derivation (only PBKDF2 is supported)',
    );
  if (!prf)
    throw new PasswordDecryptError(
      'unsupported',
      `unsupported PBKDF2 pseudo-random function ${kdf.prf?.algorithm}`,
    );
  if (!cipher)
    throw new PasswordDecryptError(
      'unsupported',
      `unsupported PBES2 cipher ${scheme.encryptionScheme.algorithm}`,
    );
  if (kdf.iterationCount < 1 || kdf.iterationCount > MAX_PBKDF2_ITERATIONS) {
    throw new PasswordDecryptError(
      'unsupported',
      `PBKDF2 iteration count ${kdf.iterationCount} is out of range`,
    );
  }
  if (kdf.keyLength !== undefined && kdf.keyLength !== cipher.keyLength) {
    throw new PasswordDecryptError(
      'invalid',
      `PBKDF2 key length ${kdf.keyLength} does not fit ${cipher.label}`,
    );
  }
  const iv = parseBytes(scheme.encryptionScheme.parameters, `${cipher.label} IV`);
  const key = pbkdf2Sync(
    password,
    new Uint8Array(kdf.salt.buffer),
    kdf.iterationCount,
    cipher.keyLength,
    prf.hash,
  );
  return runDecrypt(() => nodeDecrypt(cipher.name)(key, Buffer.from(iv), data), cipher.label);
}

function readPbes2(algorithm: AlgorithmIdentifier) {
  const scheme = parseParams(algorithm, Pbes2Params, 'PBES2');
  const kdf =
    scheme.keyDerivationFunc.algorithm === OID.pbkdf2
      ? parseParams(scheme.keyDerivationFunc, Pbkdf2Params, 'PBKDF2')
      : undefined;
  const prf = kdf ? PBKDF2_PRFS[kdf.prf?.algorithm ?? OID.hmacWithSha1] : undefined;
  const cipher = PBES2_CIPHERS[scheme.encryptionScheme.algorithm];
  return { scheme, kdf, prf, cipher };
}

function runDecrypt(decrypt: () => Buffer, label: string): Buffer {
  try {
    return decrypt();
  } catch {
    // Bad padding after CBC decryption: almost always a wrong password.
    throw new PasswordDecryptError('bad-decrypt', `${label} decryption failed`);
  }
}

function parseParams<T>(algorithm: AlgorithmIdentifier, target: new () => T, label: string): T {
  if (!algorithm.parameters) throw new PasswordDecryptError('invalid', `${label} parameters are missing`);
  try {
    return AsnConvert.parse(algorithm.parameters, target);
  } catch {
    throw new PasswordDecryptError('invalid', `${label} parameters are malformed`);
  }
}

function parseBytes(parameters: ArrayBuffer | null | undefined, label: string): Uint8Array {
  if (!parameters) throw new PasswordDecryptError('invalid', `${label} is missing`);
  try {
    return new Uint8Array(AsnConvert.parse(parameters, OctetString).buffer);
  } catch {
    throw new PasswordDecryptError('invalid', `${label} is malformed`);
  }
}
