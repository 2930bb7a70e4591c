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
    'req', '-x509', '-new', '-key', keyPath, '-out', certPath, '-days', '3650', '-sha256',
    '-subj', `/O=rolesanywhere-agent tests/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:true',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { name, certPath, keyPath, certPem: readFileSync(certPath, 'utf8') };
}

/** An intermediate CA issued by `issuer`. */
export function createIntermediateCa(dir: string, issuer: TestCa, name = 'Test Intermediate CA', keyType: TestKeyType = 'ec-p256'): TestCa {
  const keyPath = join(dir, `${slug(name)}.key`);
  const certPath = join(dir, `${slug(name)}.crt`);
  genKey(keyType, keyPath);
  signCsr(dir, issuer, keyPath, certPath, `/O=rolesanywhere-agent tests/CN=${name}`, [
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
    dir,
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
  const serialHex = run(OPENSSL, ['x509', '-in', certPath, '-noout', '-serial']).toString().trim().split('=')[1] ?? '';
  return { certPath, keyPath, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), serialHex };
}

function signCsr(
  dir: string,
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
    'x509', '-req', '-in', csrPath, '-CA', issuer.certPath, '-CAkey', issuer.keyPath,
    '-CAcreateserial', '-out', certPath, '-days', String(days), `-${digest}`, '-extfile', extPath,
  ]);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}
