import { KeyObject, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import type { Signer } from '../../../src/signer/signer';
import { type X509Certificate, x509 } from '../../../src/x509/x509';
import { run } from '../../helpers/tools';

/**
 * Certificates with fixed validity dates, made with @peculiar/x509's generators, so that
 * verification runs against a fixed `now`. Keys are real WebCrypto keys.
 */
export type KeyKind = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-3072';
export type Hash = 'SHA-1' | 'SHA-256' | 'SHA-384';

export interface Issued {
  cert: X509Certificate;
  keys: CryptoKeyPair;
  kind: KeyKind;
}

export const FIXED = {
  notBefore: new Date('2020-01-01T00:00:00Z'),
  notAfter: new Date('2040-01-01T00:00:00Z'),
  /** The clock of the verifier and the signing date of the requests. */
  now: new Date('2026-06-15T12:00:00Z'),
};

type CryptoKeyPair = webcrypto.CryptoKeyPair;
const { subtle } = webcrypto;

export async function generateKeys(kind: KeyKind): Promise<CryptoKeyPair> {
  const algorithm =
    kind === 'ec-p256' || kind === 'ec-p384'
      ? { name: 'ECDSA', namedCurve: kind === 'ec-p256' ? 'P-256' : 'P-384' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: kind === 'rsa-2048' ? 2048 : 3072,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        };
  return (await subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function signingAlgorithm(issuer: { kind: KeyKind }, hash: Hash): { name: string; hash: string } {
  return issuer.kind.startsWith('ec') ? { name: 'ECDSA', hash } : { name: 'RSASSA-PKCS1-v1_5', hash };
}

export interface CertOptions {
  kind?: KeyKind;
  /** Reuse a key pair (e.g. a forged CA with the same name but another key is the opposite). */
  keys?: CryptoKeyPair;
  notBefore?: Date;
  notAfter?: Date;
  hash?: Hash;
  ca?: boolean;
  /** undefined: no basicConstraints extension at all. */
  basicConstraints?: boolean;
  pathLength?: number;
  /** undefined: the default for a CA (keyCertSign|cRLSign) or a leaf (digitalSignature); null: no keyUsage. */
  keyUsage?: x509.KeyUsageFlags | null;
  serialNumber?: string;
}

/** A certificate named `subject`, issued by `issuer` (self-signed when issuer is undefined). */
export async function makeCert(
  subject: string,
  issuer: Issued | undefined,
  options: CertOptions = {},
): Promise<Issued> {
  const kind = options.kind ?? 'ec-p256';
  const keys = options.keys ?? (await generateKeys(kind));
  const ca = options.ca ?? false;
  const extensions: x509.Extension[] = [];
  if (options.basicConstraints !== false) {
    extensions.push(new x509.BasicConstraintsExtension(ca, ca ? options.pathLength : undefined, true));
  }
  const keyUsage =
    options.keyUsage === undefined
      ? ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature
      : options.keyUsage;
  if (keyUsage !== null) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  const signer = issuer ?? { keys, kind, cert: undefined };
  const cert = await x509.X509CertificateGenerator.create({
    ...(options.serialNumber ? { serialNumber: options.serialNumber } : {}),
    ...(subject === '' ? {} : { subject }),
    issuer: issuer ? issuer.cert.subjectName : subject,
    notBefore: options.notBefore ?? FIXED.notBefore,
    notAfter: options.notAfter ?? FIXED.notAfter,
    signingAlgorithm: signingAlgorithm(signer, options.hash ?? 'SHA-256'),
    publicKey: keys.publicKey,
    signingKey: signer.keys.privateKey,
    extensions,
  });
  return { cert, keys, kind };
}

export function makeCa(subject: string, issuer?: Issued, options: CertOptions = {}): Promise<Issued> {
  return makeCert(subject, issuer, { ca: true, ...options });
}

/** A CRL issued under `issuer`'s name, signed with `signingKeys` (the issuer's own by default). */
export async function makeCrl(
  issuer: Issued,
  revoked: readonly X509Certificate[],
  signingKeys = issuer.keys,
): Promise<x509.X509Crl> {
  return x509.X509CrlGenerator.create({
    issuer: issuer.cert.subjectName,
    thisUpdate: FIXED.notBefore,
    nextUpdate: FIXED.notAfter,
    signingAlgorithm: signingAlgorithm(issuer, 'SHA-256'),
    signingKey: signingKeys.privateKey,
    entries: revoked.map((cert) => ({ serialNumber: cert.serialNumber, revocationDate: FIXED.notBefore })),
  });
}

export function signerOf(leaf: Issued, chain: readonly Issued[] = [], keys = leaf.keys): Signer {
  return fromKeyObject(
    KeyObject.from(keys.privateKey),
    leaf.cert,
    chain.map((c) => c.cert),
  );
}

/**
 * An X.509 v1 leaf (no extensions at all), made by openssl since the generator only makes
 * v3. `issuer` signs it; validity starts now, which is fine: version is checked first.
 */
export async function makeV1Leaf(dir: string, issuer: Issued): Promise<Issued> {
  const keys = await generateKeys('ec-p256');
  const pem = (der: ArrayBuffer, label: string) => x509.PemConverter.encode(der, label);
  writeFileSync(join(dir, 'issuer.crt'), issuer.cert.toString('pem'));
  writeFileSync(
    join(dir, 'issuer.key'),
    pem(await subtle.exportKey('pkcs8', issuer.keys.privateKey), 'PRIVATE KEY'),
  );
  writeFileSync(join(dir, 'v1.key'), pem(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'));
  run('/usr/bin/openssl', [
    'req',
    '-new',
    '-key',
    join(dir, 'v1.key'),
    '-subj',
    '/CN=v1 leaf',
    '-out',
    join(dir, 'v1.csr'),
  ]);
  run('/usr/bin/openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, 'v1.csr'),
    '-CA',
    join(dir, 'issuer.crt'),
    '-CAkey',
    join(dir, 'issuer.key'),
    '-set_serial',
    '4242',
    '-days',
    '30',
    '-sha256',
    '-out',
    join(dir, 'v1.crt'),
  ]);
  const cert = new x509.X509Certificate(
    run('/usr/bin/openssl', ['x509', '-in', join(dir, 'v1.crt'), '-outform', 'DER']),
  );
  return { cert, keys, kind: 'ec-p256' };
}
