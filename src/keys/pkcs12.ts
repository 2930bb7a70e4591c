import { createHmac, createPrivateKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { type ContentInfo, id_data, id_encryptedData, id_envelopedData } from '@peculiar/asn1-cms';
import {
  AuthenticatedSafe,
  CertBag,
  id_certBag,
  id_keyBag,
  id_pkcs8ShroudedKeyBag,
  id_SafeContents,
  id_x509Certificate,
  PFX,
  SafeContents,
} from '@peculiar/asn1-pfx';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AgentError } from '../errors';
import { type X509Certificate, x509 } from '../x509/x509';
import {
  decryptWithPassword,
  describePasswordEncryption,
  type PasswordBytes,
  PasswordDecryptError,
} from './password-decrypt';
import { CmsEncryptedData, OID } from './pbe-asn1';
import { bmpPassword, PKCS12_KEY_ID, type Pkcs12Hash, pkcs12Kdf } from './pkcs12-kdf';

/** What a PKCS#12 bundle holds, once its MAC is verified and its bags decrypted. */
export interface Pkcs12Contents {
  /** Private keys, in bag order. */
  privateKeys: KeyObject[];
  /** Every certificate in the bundle: the leaf and any CA certificates, in bag order. */
  certificates: X509Certificate[];
  /** The integrity MAC, e.g. "HMAC-SHA256"; undefined for a bundle without one. */
  mac: string | undefined;
  /** Each encryption scheme met, e.g. "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)". */
  encryption: string[];
}

const MAC_HASHES: Record<string, Pkcs12Hash> = {
  [OID.sha1]: 'sha1',
  [OID.sha224]: 'sha224',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

const MAX_MAC_ITERATIONS = 1_000_000;
const REEXPORT_HINT =
  're-export it with `openssl pkcs12 -export` (OpenSSL 3 defaults: AES-256-CBC, SHA-256 MAC), or give the key and certificate as PEM files';

// DER of `INTEGER 3` and of the OIDs pkcs7-data / pkcs7-signedData that open every PFX.
const VERSION_3 = Buffer.from('020103', 'hex');
const AUTH_SAFE_TYPES = [
  Buffer.from('06092a864886f70d010701', 'hex'),
  Buffer.from('06092a864886f70d010702', 'hex'),
];

/**
 * True when `bytes` starts like a PKCS#12 PFX (SEQUENCE { INTEGER 3, SEQUENCE { pkcs7-data or
 * signedData ...), whatever the file is called: users name bundles .p12, .pfx or nothing at all.
 * Only the header is checked, so a damaged bundle is still reported as a damaged bundle.
 */
export function isPkcs12(bytes: Uint8Array): boolean {
  const outer = skipHeader(bytes, 0);
  if (outer === undefined || !startsWith(bytes, outer, VERSION_3)) return false;
  const authSafe = skipHeader(bytes, outer + VERSION_3.length);
  return authSafe !== undefined && AUTH_SAFE_TYPES.some((oid) => startsWith(bytes, authSafe, oid));
}

/** Offset just past a SEQUENCE's tag and length (definite or BER indefinite), or undefined. */
function skipHeader(bytes: Uint8Array, offset: number): number | undefined {
  if (bytes[offset] !== 0x30) return undefined;
  const first = bytes[offset + 1];
  if (first === undefined) return undefined;
  if (first <= 0x80) return offset + 2; // short form, or 0x80 for indefinite length
  const lengthBytes = first & 0x7f;
  return lengthBytes <= 4 ? offset + 2 + lengthBytes : undefined;
}

function startsWith(bytes: Uint8Array, offset: number, prefix: Uint8Array): boolean {
  return prefix.every((byte, i) => bytes[offset + i] === byte);
}

/**
 * Opens a PKCS#12 bundle with `password` (the empty password when none is given, as OpenSSL
 * does). `label` names the bundle in errors ("certificate /etc/device.p12").
 */
export function readPkcs12(bytes: Uint8Array, password: string | undefined, label: string): Pkcs12Contents {
  const pfx = parse(bytes, PFX, label, 'its structure does not parse (cut short or corrupted?)');
  if (pfx.authSafe.contentType !== id_data) {
    throw unsupported(label, 'uses public-key integrity (signedData), only password integrity is supported');
  }
  const authSafeBytes = octets(pfx.authSafe.content, label);
  const candidates = passwordCandidates(password ?? '');
  // The parser leaves an empty MacData when the bundle has none (openssl pkcs12 -nomac).
  const mac = pfx.macData?.mac.digestAlgorithm.algorithm
    ? verifyMac(pfx, authSafeBytes, candidates, password, label)
    : undefined;
  // A verified MAC fixes the password encoding; without a MAC each candidate is tried on decryption.
  const context: ReadContext = {
    passwords: mac ? [mac.password] : candidates,
    verified: mac !== undefined,
    password,
    label,
  };

  const contents: Pkcs12Contents = { privateKeys: [], certificates: [], mac: mac?.name, encryption: [] };
  for (const info of parse(authSafeBytes, AuthenticatedSafe, label, 'its authenticated safe is malformed')) {
    const safeBytes = openContentInfo(info, contents, context);
    readSafeContents(
      parse(safeBytes, SafeContents, label, 'its safe contents are malformed'),
      contents,
      context,
    );
  }
  return contents;
}

interface ReadContext {
  passwords: PasswordBytes[];
  verified: boolean;
  password: string | undefined;
  label: string;
}

/** The empty password has two encodings in the wild: BMP "\0\0" (OpenSSL) and no bytes at all. */
function passwordCandidates(password: string): PasswordBytes[] {
  const utf8 = Buffer.from(password, 'utf8');
  const candidates = [{ utf8, bmp: bmpPassword(password) }];
  if (password === '') candidates.push({ utf8, bmp: Buffer.alloc(0) });
  return candidates;
}

function verifyMac(
  pfx: PFX,
  authSafe: Uint8Array,
  candidates: PasswordBytes[],
  password: string | undefined,
  label: string,
): { name: string; password: PasswordBytes } {
  const digestOid = pfx.macData.mac.digestAlgorithm.algorithm;
  const hash = MAC_HASHES[digestOid];
  if (!hash) throw unsupported(label, `uses an unsupported integrity MAC (${digestOid})`);
  const { iterations } = pfx.macData;
  if (iterations < 1 || iterations > MAX_MAC_ITERATIONS) {
    throw unsupported(label, `has a MAC iteration count (${iterations}) out of range`);
  }
  const expected = Buffer.from(pfx.macData.mac.digest.buffer);
  const salt = new Uint8Array(pfx.macData.macSalt.buffer);
  for (const candidate of candidates) {
    const key = pkcs12Kdf(hash, candidate.bmp, salt, iterations, PKCS12_KEY_ID.mac, expected.length);
    const actual = createHmac(hash, key).update(authSafe).digest();
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) {
      return { name: `HMAC-${hash.toUpperCase()}`, password: candidate };
    }
  }
  throw wrongPassword(label, password);
}

function openContentInfo(info: ContentInfo, contents: Pkcs12Contents, context: ReadContext): Uint8Array {
  if (info.contentType === id_data) return octets(info.content, context.label);
  if (info.contentType === id_envelopedData) {
    throw unsupported(
      context.label,
      'is encrypted to a public key (envelopedData), only password encryption is supported',
    );
  }
  if (info.contentType !== id_encryptedData) {
    throw unsupported(context.label, `holds content of an unknown type (${info.contentType})`);
  }
  const encrypted = parse(info.content, CmsEncryptedData, context.label, 'its encrypted data is malformed');
  const { contentEncryptionAlgorithm, encryptedContent } = encrypted.encryptedContentInfo;
  const pieces = encryptedContent?.value
    ? [encryptedContent.value]
    : (encryptedContent?.constructedValue ?? []);
  const ciphertext = Buffer.concat(pieces.map((piece) => new Uint8Array(piece.buffer)));
  contents.encryption.push(describePasswordEncryption(contentEncryptionAlgorithm));
  return decrypt(contentEncryptionAlgorithm, ciphertext, context);
}

function readSafeContents(bags: SafeContents, contents: Pkcs12Contents, context: ReadContext): void {
  const { label } = context;
  for (const bag of bags) {
    if (bag.bagId === id_keyBag) {
      contents.privateKeys.push(privateKeyFromPkcs8(new Uint8Array(bag.bagValue), label));
    } else if (bag.bagId === id_pkcs8ShroudedKeyBag) {
      const shrouded = parse(bag.bagValue, EncryptedPrivateKeyInfo, label, 'its key bag is malformed');
      contents.encryption.push(describePasswordEncryption(shrouded.encryptionAlgorithm));
      const data = new Uint8Array(shrouded.encryptedData.buffer);
      const pkcs8 = decrypt(shrouded.encryptionAlgorithm, data, context);
      contents.privateKeys.push(privateKeyFromPkcs8(pkcs8, label));
    } else if (bag.bagId === id_certBag) {
      const certBag = parse(bag.bagValue, CertBag, label, 'its certificate bag is malformed');
      if (certBag.certId !== id_x509Certificate) continue; // SDSI certificates: nothing to use here
      try {
        contents.certificates.push(new x509.X509Certificate(octets(certBag.certValue, label)));
      } catch (error) {
        if (error instanceof AgentError) throw error;
        throw invalid(label, 'holds a certificate that does not parse', error);
      }
    } else if (bag.bagId === id_SafeContents) {
      readSafeContents(
        parse(bag.bagValue, SafeContents, label, 'its nested safe contents are malformed'),
        contents,
        context,
      );
    }
    // CRL and secret bags carry nothing a signer needs.
  }
}

/** Tries each password encoding; with a verified MAC the password is right, so a failure means a damaged bundle. */
function decrypt(
  algorithm: EncryptedPrivateKeyInfo['encryptionAlgorithm'],
  data: Uint8Array,
  context: ReadContext,
): Buffer {
  let failure: PasswordDecryptError | undefined;
  for (const password of context.passwords) {
    try {
      return decryptWithPassword(algorithm, data, password);
    } catch (error) {
      if (!(error instanceof PasswordDecryptError)) throw error;
      if (error.reason === 'unsupported') throw unsupported(context.label, `uses ${error.message}`);
      if (error.reason === 'invalid') throw invalid(context.label, error.message.toLowerCase(), error);
      failure = error;
    }
  }
  if (context.verified)
    throw invalid(
      context.label,
      `cannot be decrypted although its MAC verified (${failure?.message})`,
      failure,
    );
  throw wrongPassword(context.label, context.password);
}

function privateKeyFromPkcs8(der: Uint8Array, label: string): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw invalid(label, 'holds a private key that does not parse', error);
  }
}

/** The value of an OCTET STRING given as its encoding. */
function octets(encoded: ArrayBuffer, label: string): Uint8Array {
  return new Uint8Array(parse(encoded, OctetString, label, 'an octet string is malformed').buffer);
}

function parse<T>(data: ArrayBuffer | Uint8Array, target: new () => T, label: string, what: string): T {
  try {
    return AsnConvert.parse(data, target);
  } catch (error) {
    throw invalid(label, what, error);
  }
}

function invalid(label: string, what: string, cause?: unknown): AgentError {
  return new AgentError('PKCS12_INVALID', `${label} is a damaged PKCS#12 bundle: ${what}`, {
    hint: REEXPORT_HINT,
    cause,
  });
}

function unsupported(label: string, what: string): AgentError {
  return new AgentError('PKCS12_UNSUPPORTED', `${label} ${what}`, { hint: REEXPORT_HINT });
}

function wrongPassword(label: string, password: string | undefined): AgentError {
  if (password === undefined) {
    return new AgentError(
      'KEY_PASSWORD_REQUIRED',
      `${label} is a PKCS#12 bundle protected by a password and none was given`,
      {
        hint: 'give the PKCS#12 password with --pkcs8-password',
      },
    );
  }
  return new AgentError('KEY_PASSWORD_INCORRECT', `wrong password for ${label} (a PKCS#12 bundle)`, {
    hint: 'check the password given with --pkcs8-password (an empty password is tried when none is given)',
  });
}
