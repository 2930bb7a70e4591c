import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool, run } from './tools';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const SOFTHSM_UTIL = '/usr/bin/softhsm2-util';
const PKCS11_TOOL = '/usr/bin/pkcs11-tool';

export interface SoftHsmToken {
  module: string;
  label: string;
  pin: string;
  soPin: string;
  /** SOFTHSM2_CONF pointing at this token's own store; set it before the module is loaded. */
  conf: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A real SoftHSM token in its own directory. Sets process.env.SOFTHSM2_CONF so this process's
 * PKCS#11 calls see it (each vitest file runs in its own process).
 */
export function createSoftHsmToken(dir: string, label = 'ra-test', pin = '1234', soPin = '5678'): SoftHsmToken {
  requireTool(SOFTHSM_MODULE, 'softhsm2');
  requireTool(PKCS11_TOOL, 'opensc');
  const tokens = join(dir, 'softhsm-tokens');
  mkdirSync(tokens, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  run(SOFTHSM_UTIL, ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], { env });
  return { module: SOFTHSM_MODULE, label, pin, soPin, conf, env };
}

/** Adds another token to the same store (for "several tokens match" cases). */
export function addSoftHsmToken(token: SoftHsmToken, label: string): void {
  run(SOFTHSM_UTIL, ['--init-token', '--free', '--label', label, '--pin', token.pin, '--so-pin', token.soPin], { env: token.env });
}

/** Imports a PEM private key (any format openssl reads) into the token as a sensitive object. */
export function importKey(token: SoftHsmToken, keyPath: string, idHex: string, objectLabel: string, tokenLabel = token.label): void {
  const pkcs8 = `${keyPath}.pk8`;
  run('/usr/bin/openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', keyPath, '-out', pkcs8]);
  run(SOFTHSM_UTIL, ['--import', pkcs8, '--token', tokenLabel, '--label', objectLabel, '--id', idHex, '--pin', token.pin], { env: token.env });
}

/** Writes a certificate (PEM or DER file) onto the token. */
export function importCertificate(token: SoftHsmToken, certPath: string, idHex: string, objectLabel: string, tokenLabel = token.label): void {
  const der = `${certPath}.${idHex}.der`;
  run('/usr/bin/openssl', ['x509', '-in', certPath, '-outform', 'DER', '-out', der]);
  run(PKCS11_TOOL, [
    '--module', token.module, '--token-label', tokenLabel, '--login', '--pin', token.pin,
    '--write-object', der, '--type', 'cert', '--id', idHex, '--label', objectLabel,
  ], { env: token.env });
}

/** Generates a key pair inside the token; returns the public key as SPKI DER. */
export function generateKeyInToken(
  token: SoftHsmToken,
  keyType: 'EC:prime256v1' | 'EC:secp384r1' | 'rsa:2048' | 'rsa:3072',
  idHex: string,
  objectLabel: string,
): Buffer {
  run(PKCS11_TOOL, [
    '--module', token.module, '--token-label', token.label, '--login', '--pin', token.pin,
    '--keypairgen', '--key-type', keyType, '--id', idHex, '--label', objectLabel,
  ], { env: token.env });
  return run(PKCS11_TOOL, [
    '--module', token.module, '--token-label', token.label,
    '--read-object', '--type', 'pubkey', '--id', idHex,
  ], { env: token.env });
}
