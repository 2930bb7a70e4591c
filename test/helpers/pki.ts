import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool, run } from './tools';

export type TestKeyType = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-3072';

export interface TestCa {
  name: string;
  certPath: string;
  keyPath: string;
  certPem: string;
}

export interface TestLeaf {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
  /** Serial as openssl prints it (hex, upper case). */
  serialHex: string;
}

const OPENSSL = '/usr/bin/openssl';

function genKey(type: TestKeyType, path: string): void {
  requireTool(OPENSSL, 'openssl');
  const args =
    type === 'ec-p256'
      ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : type === 'ec-p384'
        ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']
        : ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${type === 'rsa-2048' ? 2048 : 3072}`];
  run(OPENSSL, ['genpkey', ...args, '-out', path]);
}

/** A self-signed root CA (CA:true, keyCertSign) made with openssl. */
export function createRootCa(dir: string, name = 'Test Root CA', keyType: TestKeyType = 'ec-p256'): TestCa {
  const keyPath = join(dir, `${slug(name)}.key`);
  const certPath = join(dir, `${slug(name)}.crt`);
  genKey(keyType, keyPath);
  run(OPENSSL, [
    'req',
    '-x509',
    '-new',
    '-key',
    keyPath,
    '-out',
    certPath,
    '-days',
    '3650',
    '-sha256',
    '-subj',
    `/O=rolesanywhere-agent tests/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:true',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { name, certPath, keyPath, certPem: readFileSync(certPath, 'utf8') };
}

/** An intermediate CA issued by `issuer`. */
export function createIntermediateCa(
  dir: string,
  issuer: TestCa,
  name = 'Test Intermediate CA',
  keyType: TestKeyType = 'ec-p256',
): TestCa {
  const keyPath = join(dir, `${slug(name)}.key`);
  const certPath = join(dir, `${slug(name)}.crt`);
  genKey(keyType, keyPath);
  signCsr(issuer, keyPath, certPath, `/O=rolesanywhere-agent tests/CN=${name}`, [
    'basicConstraints=critical,CA:true,pathlen:0',
    'keyUsage=critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
  ]);
  return { name, certPath, keyPath, certPem: readFileSync(certPath, 'utf8') };
}

export interface LeafOptions {
  keyType?: TestKeyType;
  /** openssl -subj form, e.g. /CN=device-1/OU=DataCenter-Northeast/O=Example */
  subject?: string;
  name?: string;
  /** Extra extension lines; defaults make a valid Roles Anywhere leaf. */
  extensions?: string[];
  days?: number;
  /** Use an existing key file instead of generating one. */
  keyPath?: string;
  digest?: 'sha256' | 'sha384' | 'sha1';
}

/** A leaf certificate (CA:false, digitalSignature) issued by `issuer`. */
export function issueLeaf(dir: string, issuer: TestCa, options: LeafOptions = {}): TestLeaf {
  const name = options.name ?? 'device';
  const keyPath = options.keyPath ?? join(dir, `${slug(name)}.key`);
  const certPath = join(dir, `${slug(name)}.crt`);
  if (!options.keyPath) genKey(options.keyType ?? 'ec-p256', keyPath);
  signCsr(
    issuer,
    keyPath,
    certPath,
    options.subject ?? `/O=rolesanywhere-agent tests/OU=DataCenter-Northeast/CN=${name}`,
    options.extensions ?? [
      'basicConstraints=critical,CA:false',
      'keyUsage=critical,digitalSignature',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
    ],
    options.days ?? 365,
    options.digest ?? 'sha256',
  );
  const serialHex =
    run(OPENSSL, ['x509', '-in', certPath, '-noout', '-serial']).toString().trim().split('=')[1] ?? '';
  return {
    certPath,
    keyPath,
    certPem: readFileSync(certPath, 'utf8'),
    keyPem: readFileSync(keyPath, 'utf8'),
    serialHex,
  };
}

function signCsr(
  issuer: TestCa,
  keyPath: string,
  certPath: string,
  subject: string,
  extensions: string[],
  days = 3650,
  digest = 'sha256',
): void {
  const csrPath = `${certPath}.csr`;
  const extPath = `${certPath}.ext`;
  run(OPENSSL, ['req', '-new', '-key', keyPath, '-subj', subject, '-out', csrPath]);
  writeFileSync(extPath, `${extensions.join('\n')}\n`);
  run(OPENSSL, [
    'x509',
    '-req',
    '-in',
    csrPath,
    '-CA',
    issuer.certPath,
    '-CAkey',
    issuer.keyPath,
    '-CAcreateserial',
    '-out',
    certPath,
    '-days',
    String(days),
    `-${digest}`,
    '-extfile',
    extPath,
  ]);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

// Key files in every form a user may hand to --private-key / --certificate, made by the openssl CLI.

/** An unencrypted key rewritten as PKCS#8 ("PRIVATE KEY"), PEM or DER. */
export function writePkcs8Key(keyPath: string, outPath: string, outform: 'PEM' | 'DER' = 'PEM'): string {
  run(OPENSSL, ['pkcs8', '-topk8', '-nocrypt', '-in', keyPath, '-outform', outform, '-out', outPath]);
  return outPath;
}

/**
 * An encrypted PKCS#8 key ("ENCRYPTED PRIVATE KEY"). Default: OpenSSL 3's PBES2 with AES-256-CBC
 * and PBKDF2-HMAC-SHA256; `v1` picks a PKCS#12 PBE scheme instead (e.g. PBE-SHA1-3DES).
 */
export function writeEncryptedPkcs8Key(
  keyPath: string,
  outPath: string,
  password: string,
  options: { outform?: 'PEM' | 'DER'; v2?: string; v1?: string } = {},
): string {
  const scheme = options.v1 ? ['-v1', options.v1] : ['-v2', options.v2 ?? 'aes-256-cbc'];
  run(OPENSSL, [
    'pkcs8',
    '-topk8',
    '-in',
    keyPath,
    ...scheme,
    '-passout',
    `pass:${password}`,
    '-outform',
    options.outform ?? 'PEM',
    '-out',
    outPath,
  ]);
  return outPath;
}

/** An EC key as SEC1 ("EC PRIVATE KEY"), PEM or DER; with `password`, OpenSSL's traditional encrypted PEM. */
export function writeSec1Key(
  keyPath: string,
  outPath: string,
  options: { outform?: 'PEM' | 'DER'; password?: string } = {},
): string {
  const encrypt = options.password === undefined ? [] : ['-aes256', '-passout', `pass:${options.password}`];
  run(OPENSSL, ['ec', '-in', keyPath, ...encrypt, '-outform', options.outform ?? 'PEM', '-out', outPath]);
  return outPath;
}

/** An RSA key as PKCS#1 ("RSA PRIVATE KEY"), PEM or DER. */
export function writePkcs1Key(keyPath: string, outPath: string, outform: 'PEM' | 'DER' = 'PEM'): string {
  run(OPENSSL, ['rsa', '-in', keyPath, '-traditional', '-outform', outform, '-out', outPath]);
  return outPath;
}

/** A key type Roles Anywhere refuses (for error tests). */
export function writeEd25519Key(outPath: string): string {
  requireTool(OPENSSL, 'openssl');
  run(OPENSSL, ['genpkey', '-algorithm', 'ED25519', '-out', outPath]);
  return outPath;
}

export interface Pkcs12Options {
  keyPath: string;
  certPath: string;
  /** CA certificates to put in the bundle beside the leaf. */
  caPaths?: string[];
  /** Empty string for a bundle with the empty password. */
  password: string;
  /** `openssl pkcs12 -legacy`: RC2-40 for certificates, 3DES for the key, SHA-1 MAC. */
  legacy?: boolean;
  /** Extra `openssl pkcs12 -export` arguments, e.g. ['-nomac'] or ['-keypbe', 'NONE', '-certpbe', 'NONE']. */
  extraArgs?: string[];
}

/** A PKCS#12 bundle made by `openssl pkcs12 -export` (OpenSSL 3 defaults unless `legacy`). */
export function writePkcs12(outPath: string, options: Pkcs12Options): string {
  const chain = options.caPaths?.length
    ? ['-certfile', concatFiles(`${outPath}.cas.pem`, options.caPaths)]
    : [];
  run(OPENSSL, [
    'pkcs12',
    '-export',
    '-inkey',
    options.keyPath,
    '-in',
    options.certPath,
    ...chain,
    ...(options.legacy ? ['-legacy'] : []),
    ...(options.extraArgs ?? []),
    '-passout',
    `pass:${options.password}`,
    '-out',
    outPath,
  ]);
  return outPath;
}

/** Several PEM files in one bundle file, in the order given. */
export function concatFiles(outPath: string, paths: string[]): string {
  writeFileSync(outPath, paths.map((path) => readFileSync(path, 'utf8')).join(''));
  return outPath;
}

/** A certificate rewritten as DER. */
export function writeDerCertificate(certPath: string, outPath: string): string {
  run(OPENSSL, ['x509', '-in', certPath, '-outform', 'DER', '-out', outPath]);
  return outPath;
}

export interface IssuedCertificate {
  certPath: string;
  certPem: string;
  /** Serial as openssl prints it (hex, upper case). */
  serialHex: string;
}

/**
 * A leaf certificate for a public key given as SPKI DER (e.g. of a key generated inside a
 * token), issued and signed by `issuer` with openssl (`x509 -new -force_pubkey`).
 */
export function issueLeafForPublicKey(
  dir: string,
  issuer: TestCa,
  spkiDer: Uint8Array,
  options: { name?: string; subject?: string; extensions?: string[]; days?: number } = {},
): IssuedCertificate {
  const name = options.name ?? 'token-device';
  const pubPath = join(dir, `${slug(name)}.pub.der`);
  const certPath = join(dir, `${slug(name)}.crt`);
  const extPath = `${certPath}.ext`;
  writeFileSync(pubPath, spkiDer);
  writeFileSync(
    extPath,
    `${(
      options.extensions ?? [
        'basicConstraints=critical,CA:false',
        'keyUsage=critical,digitalSignature',
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
      ]
    ).join('\n')}\n`,
  );
  run(OPENSSL, [
    'x509',
    '-new',
    '-subj',
    options.subject ?? `/O=rolesanywhere-agent tests/OU=DataCenter-Northeast/CN=${name}`,
    '-force_pubkey',
    pubPath,
    '-keyform',
    'DER',
    '-CA',
    issuer.certPath,
    '-CAkey',
    issuer.keyPath,
    '-days',
    String(options.days ?? 365),
    '-sha256',
    '-extfile',
    extPath,
    '-out',
    certPath,
  ]);
  const serialHex =
    run(OPENSSL, ['x509', '-in', certPath, '-noout', '-serial']).toString().trim().split('=')[1] ?? '';
  return { certPath, certPem: readFileSync(certPath, 'utf8'), serialHex };
}
