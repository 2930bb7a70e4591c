import { createPublicKey } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
export function createSoftHsmToken(
  dir: string,
  label = 'ra-test',
  pin = '1234',
  soPin = '5678',
): SoftHsmToken {
  requireTool(SOFTHSM_MODULE, 'softhsm2');
  requireTool(PKCS11_TOOL, 'opensc');
  const tokens = join(dir, 'softhsm-tokens');
  mkdirSync(tokens, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  run(SOFTHSM_UTIL, ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], { env });
  return { module: SOFTHSM_MODULE, label, pin, soPin, conf, env };
}

/** Adds another token to the same store (for "several tokens match" cases). */
export function addSoftHsmToken(token: SoftHsmToken, label: string): void {
  run(
    SOFTHSM_UTIL,
    ['--init-token', '--free', '--label', label, '--pin', token.pin, '--so-pin', token.soPin],
    { env: token.env },
  );
}

/** Imports a PEM private key (any format openssl reads) into the token as a sensitive object. */
export function importKey(
  token: SoftHsmToken,
  keyPath: string,
  idHex: string,
  objectLabel: string,
  tokenLabel = token.label,
): void {
  const pkcs8 = `${keyPath}.pk8`;
  run('/usr/bin/openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', keyPath, '-out', pkcs8]);
  run(
    SOFTHSM_UTIL,
    ['--import', pkcs8, '--token', tokenLabel, '--label', objectLabel, '--id', idHex, '--pin', token.pin],
    { env: token.env },
  );
}

/** Writes a certificate (PEM or DER file) onto the token. */
export function importCertificate(
  token: SoftHsmToken,
  certPath: string,
  idHex: string,
  objectLabel: string,
  tokenLabel = token.label,
): void {
  const der = `${certPath}.${idHex}.der`;
  run('/usr/bin/openssl', ['x509', '-in', certPath, '-outform', 'DER', '-out', der]);
  run(
    PKCS11_TOOL,
    [
      '--module',
      token.module,
      '--token-label',
      tokenLabel,
      '--login',
      '--pin',
      token.pin,
      '--write-object',
      der,
      '--type',
      'cert',
      '--id',
      idHex,
      '--label',
      objectLabel,
    ],
    { env: token.env },
  );
}

/** Generates a key pair inside the token; returns the public key as SPKI DER. */
export function generateKeyInToken(
  token: SoftHsmToken,
  keyType: 'EC:prime256v1' | 'EC:secp384r1' | 'rsa:2048' | 'rsa:3072',
  idHex: string,
  objectLabel: string,
  extraArgs: string[] = [],
): Buffer {
  run(
    PKCS11_TOOL,
    [
      '--module',
      token.module,
      '--token-label',
      token.label,
      '--login',
      '--pin',
      token.pin,
      '--keypairgen',
      '--key-type',
      keyType,
      '--id',
      idHex,
      '--label',
      objectLabel,
      ...extraArgs,
    ],
    { env: token.env },
  );
  return readPublicKey(token, idHex);
}

const EC_CURVES: Record<string, string> = {
  '06082a8648ce3d030107': 'P-256',
  '06052b81040022': 'P-384',
  '06052b81040023': 'P-521',
};

/**
 * The public key object with `idHex` as SPKI DER. pkcs11-tool --read-object fails on P-384
 * keys ("cannot create EVP_PKEY"), so EC keys are rebuilt from the EC_POINT it lists.
 */
export function readPublicKey(token: SoftHsmToken, idHex: string): Buffer {
  try {
    return run(
      PKCS11_TOOL,
      [
        '--module',
        token.module,
        '--token-label',
        token.label,
        '--read-object',
        '--type',
        'pubkey',
        '--id',
        idHex,
      ],
      { env: token.env },
    );
  } catch (error) {
    const listing = run(
      PKCS11_TOOL,
      [
        '--module',
        token.module,
        '--token-label',
        token.label,
        '--list-objects',
        '--type',
        'pubkey',
        '--id',
        idHex,
      ],
      { env: token.env },
    ).toString();
    // The listing holds every public key (--id does not filter it): take the block with this id.
    const block =
      listing
        .split(/^(?=Public Key Object)/m)
        .find((text) => new RegExp(`^\\s*ID:\\s+${idHex}\\s*$`, 'mi').test(text)) ?? '';
    const point = /EC_POINT:\s+([0-9a-f]+)/.exec(block)?.[1];
    const curve = EC_CURVES[/EC_PARAMS:\s+([0-9a-f]+)/.exec(block)?.[1] ?? ''];
    if (!point || !curve) throw error;
    // EC_POINT is a DER OCTET STRING around 04 || X || Y.
    const raw = Buffer.from(point, 'hex');
    const bytes = raw[1] === 0x81 ? raw.subarray(3) : raw.subarray(2);
    const size = (bytes.length - 1) / 2;
    const jwk = {
      kty: 'EC',
      crv: curve,
      x: bytes.subarray(1, 1 + size).toString('base64url'),
      y: bytes.subarray(1 + size).toString('base64url'),
    };
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'spki' });
  }
}

/** Like generateKeyInToken, with CKA_ALWAYS_AUTHENTICATE set: each signature needs a context login. */
export function generateAlwaysAuthKeyInToken(
  token: SoftHsmToken,
  keyType: 'EC:prime256v1' | 'EC:secp384r1' | 'rsa:2048' | 'rsa:3072',
  idHex: string,
  objectLabel: string,
): Buffer {
  return generateKeyInToken(token, keyType, idHex, objectLabel, ['--always-auth', '--usage-sign']);
}

/** The directories SoftHSM keeps this store's tokens in (one per token). */
export function softHsmTokenDirs(token: SoftHsmToken): string[] {
  const tokens = join(token.conf, '..', 'softhsm-tokens');
  return readdirSync(tokens).map((name) => join(tokens, name));
}

/** Deletes every token of the store from disk, as if the device were unplugged. */
export function removeSoftHsmTokens(token: SoftHsmToken): void {
  for (const dir of softHsmTokenDirs(token)) rmSync(dir, { recursive: true, force: true });
}

/** Deletes one token of the store from disk (the one whose label is `label`). */
export function removeSoftHsmTokenLabelled(token: SoftHsmToken, label: string): void {
  const padded = Buffer.from(label.padEnd(32, ' '));
  for (const dir of softHsmTokenDirs(token)) {
    if (readFileSync(join(dir, 'token.object')).includes(padded))
      rmSync(dir, { recursive: true, force: true });
  }
}

// SoftHSM's token.object is a sequence of [u64 type][u64 kind][value] records (big endian);
// kind 2 is a CK_ULONG, other kinds carry [u64 length][bytes]. 0x8000534b holds the token flags.
const SOFTHSM_TOKEN_FLAGS = 0x8000534bn;

/**
 * Sets bits in the token flags SoftHSM stores on disk (it keeps no PIN counter and never locks a
 * PIN itself). Done before the module loads, the token then reports e.g. CKF_USER_PIN_LOCKED
 * (0x40000). Returns the new flags.
 */
export function setSoftHsmTokenFlags(token: SoftHsmToken, tokenLabel: string, bits: number): number {
  for (const dir of softHsmTokenDirs(token)) {
    const path = join(dir, 'token.object');
    const data = readFileSync(path);
    if (!data.includes(Buffer.from(tokenLabel.padEnd(32, ' ')))) continue;
    for (let offset = 8; offset + 24 <= data.length; ) {
      const type = data.readBigUInt64BE(offset);
      const kind = data.readBigUInt64BE(offset + 8);
      if (kind === 2n) {
        if (type === SOFTHSM_TOKEN_FLAGS) {
          const flags = data.readBigUInt64BE(offset + 16) | BigInt(bits);
          data.writeBigUInt64BE(flags, offset + 16);
          writeFileSync(path, data);
          return Number(flags);
        }
        offset += 24;
      } else {
        offset += 24 + Number(data.readBigUInt64BE(offset + 16));
      }
    }
  }
  throw new Error(`no SoftHSM token labelled ${tokenLabel} with stored flags`);
}

/** Deletes the public key object with `idHex`, leaving the private key alone (as some tokens store keys). */
export function deletePublicKeyObject(token: SoftHsmToken, idHex: string, tokenLabel = token.label): void {
  run(
    PKCS11_TOOL,
    [
      '--module',
      token.module,
      '--token-label',
      tokenLabel,
      '--login',
      '--pin',
      token.pin,
      '--delete-object',
      '--type',
      'pubkey',
      '--id',
      idHex,
    ],
    { env: token.env },
  );
}
