import { type KeyObject, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AgentError } from '../errors';
import { destroyObjects, sweepObjects, withLeftovers } from './create-objects';
import { rvOf, toPkcs11Error } from './error';
import { type KeySpec, keySpec, UNSUPPORTED_RVS, unsupportedReason } from './key-spec';
import { findObjects, readAttributes, type Template, ulongOf } from './objects';
import { ecPointFromAttribute, ecPublicKey, rsaPublicKey } from './public-key';
import { mechanismInfo, type TokenSession, toWriteError } from './token-session';

export interface GenerateKeyOptions {
  /** CKA_LABEL of both halves. */
  label: string;
  /** CKA_ID of both halves; default 16 random bytes. */
  id?: Uint8Array;
  /** ec-p256, ec-p384, rsa-2048 or rsa-3072. */
  type: string;
}

export interface GeneratedKey {
  label: string;
  id: Uint8Array;
  spec: KeySpec;
  /** The public half as the token returned it. */
  publicKey: KeyObject;
}

/** Bytes of a random CKA_ID: known before anything is created, so it can be checked free first. */
export const RANDOM_ID_BYTES = 16;
const MAX_LABEL = 128;

const CLASS_NAMES = new Map<number, string>([
  [pkcs11js.CKO_PRIVATE_KEY, 'a private key'],
  [pkcs11js.CKO_PUBLIC_KEY, 'a public key'],
  [pkcs11js.CKO_CERTIFICATE, 'a certificate'],
  [pkcs11js.CKO_SECRET_KEY, 'a secret key'],
  [pkcs11js.CKO_DATA, 'a data object'],
]);

/** Throws unless `label` can name a key: 1 to 128 characters, no control characters. */
export function assertLabel(label: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (label === '' || label.length > MAX_LABEL || /[\u0000-\u001f\u007f]/.test(label)) {
    throw new AgentError(
      'LABEL_INVALID',
      `invalid label ${JSON.stringify(label)}: it must be 1 to ${MAX_LABEL} characters without control characters`,
      { hint: 'give a short name such as --label device or --label edge-2025' },
    );
  }
}

/** A CKA_ID from hex (colons and spaces allowed between bytes), 1 to 64 bytes. */
export function parseIdHex(text: string): Uint8Array {
  const hex = text.replace(/[:\s]/g, '').replace(/^0x/i, '');
  if (hex === '' || hex.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(hex) || hex.length > 128) {
    throw new AgentError(
      'ID_INVALID',
      `invalid id "${text}": give 1 to 64 bytes as hex, e.g. 01 or a1b2c3d4`,
      {
        hint: 'leave --id out to get a random 16-byte id',
      },
    );
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** What on the token already has this attribute value, e.g. "a private key and a certificate have it". */
function holders(token: TokenSession, template: Template): string | undefined {
  const found = findObjects(
    token.api,
    token.session,
    template,
    `cannot search objects on ${token.description}`,
  );
  if (found.length === 0) return undefined;
  const kinds = found.map((handle) => {
    const value = readAttributes(token.api, token.session, handle, [pkcs11js.CKA_CLASS]).get(
      pkcs11js.CKA_CLASS,
    );
    return CLASS_NAMES.get(ulongOf(value) ?? -1) ?? 'an object';
  });
  const unique = [...new Set(kinds)];
  return `${unique.join(' and ')} ${found.length > 1 ? 'have' : 'has'} it`;
}

/** Refuses a label or id that any object of the token already has (nothing is created). */
export function assertFree(token: TokenSession, label: string, id: Uint8Array): void {
  const withLabel = holders(token, [{ type: pkcs11js.CKA_LABEL, value: Buffer.from(label, 'utf8') }]);
  if (withLabel) {
    throw new AgentError(
      'LABEL_TAKEN',
      `label "${label}" is taken on ${token.description}: ${withLabel} already`,
      {
        hint: 'choose another --label (see `key list`), or delete the old objects first; nothing was created',
      },
    );
  }
  const withId = holders(token, [{ type: pkcs11js.CKA_ID, value: Buffer.from(id) }]);
  if (withId) {
    throw new AgentError(
      'ID_TAKEN',
      `id ${Buffer.from(id).toString('hex')} is taken on ${token.description}: ${withId} already`,
      { hint: 'choose another --id or leave it out for a random one; nothing was created' },
    );
  }
}

function assertSupported(token: TokenSession, spec: KeySpec): void {
  // Only for listed mechanisms: some modules complain on stderr when asked about others.
  const listed = token.mechanisms === undefined || token.mechanisms.has(spec.generation);
  const info = listed ? mechanismInfo(token, spec.generation) : undefined;
  const reason = unsupportedReason(spec, {
    mechanisms: token.mechanisms,
    generationInfo: info,
    rsaNeedsHashAndSign: token.quirks.rsaNeedsHashAndSign,
  });
  if (reason) {
    throw new AgentError(
      'KEY_TYPE_UNSUPPORTED',
      `${token.description} cannot make ${spec.name} keys: ${reason}`,
      {
        hint: 'choose another --type; `pkcs11-tool --module <lib> --list-mechanisms` shows what the token offers; nothing was created',
      },
    );
  }
}

const bool = (type: number, value: boolean) => ({ type, value });

/**
 * The templates: a sign-only private key that never leaves the token (sensitive, not
 * extractable, private, no decrypt/unwrap/derive), a public key for verification only, both
 * on the token with the same label and id. Quirky modules get what they can take (see quirks.ts).
 */
export function keyTemplates(
  spec: KeySpec,
  label: string,
  id: Uint8Array,
  omitPublicUsage: boolean,
): { publicTemplate: Template; privateTemplate: Template } {
  const keyType = spec.keyType === 'ec' ? pkcs11js.CKK_EC : pkcs11js.CKK_RSA;
  const naming = [
    { type: pkcs11js.CKA_LABEL, value: Buffer.from(label, 'utf8') },
    { type: pkcs11js.CKA_ID, value: Buffer.from(id) },
  ];
  const publicTemplate: Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
    bool(pkcs11js.CKA_TOKEN, true),
    bool(pkcs11js.CKA_PRIVATE, false),
    ...(omitPublicUsage
      ? []
      : [
          bool(pkcs11js.CKA_VERIFY, true),
          bool(pkcs11js.CKA_ENCRYPT, false),
          bool(pkcs11js.CKA_WRAP, false),
          bool(pkcs11js.CKA_DERIVE, false),
        ]),
    ...naming,
    ...(spec.keyType === 'ec'
      ? [{ type: pkcs11js.CKA_EC_PARAMS, value: spec.ecParams as Buffer }]
      : [
          { type: pkcs11js.CKA_MODULUS_BITS, value: spec.bits },
          { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        ]),
  ];
  const privateTemplate: Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
    bool(pkcs11js.CKA_TOKEN, true),
    bool(pkcs11js.CKA_PRIVATE, true),
    bool(pkcs11js.CKA_SENSITIVE, true),
    bool(pkcs11js.CKA_EXTRACTABLE, false),
    bool(pkcs11js.CKA_SIGN, true),
    bool(pkcs11js.CKA_DECRYPT, false),
    bool(pkcs11js.CKA_UNWRAP, false),
    bool(pkcs11js.CKA_DERIVE, false),
    ...naming,
  ];
  return { publicTemplate, privateTemplate };
}

/** Attributes the private key must have once made; a token that ignored the template is caught here. */
const PRIVATE_POLICY: Array<[number, boolean, string]> = [
  [pkcs11js.CKA_SIGN, true, 'CKA_SIGN'],
  [pkcs11js.CKA_SENSITIVE, true, 'CKA_SENSITIVE'],
  [pkcs11js.CKA_EXTRACTABLE, false, 'CKA_EXTRACTABLE'],
  [pkcs11js.CKA_PRIVATE, true, 'CKA_PRIVATE'],
  [pkcs11js.CKA_TOKEN, true, 'CKA_TOKEN'],
  [pkcs11js.CKA_DECRYPT, false, 'CKA_DECRYPT'],
  [pkcs11js.CKA_UNWRAP, false, 'CKA_UNWRAP'],
  [pkcs11js.CKA_DERIVE, false, 'CKA_DERIVE'],
];

function assertPolicy(token: TokenSession, handle: Buffer): void {
  const values = readAttributes(
    token.api,
    token.session,
    handle,
    PRIVATE_POLICY.map(([type]) => type),
  );
  const wrong = PRIVATE_POLICY.filter(([type, expected]) => {
    const value = ulongOf(values.get(type));
    // An attribute the token does not report is not held against it.
    return value !== undefined && (value !== 0) !== expected;
  }).map(([, expected, name]) => `${name}=${!expected}`);
  if (wrong.length > 0) {
    throw new AgentError(
      'KEY_POLICY_NOT_APPLIED',
      `${token.description} made the key with ${wrong.join(', ')} although the template asked otherwise`,
      { hint: 'this token cannot hold a sign-only, non-extractable key as asked; use another token' },
    );
  }
}

function readPublicKey(
  token: TokenSession,
  spec: KeySpec,
  publicHandle: Buffer,
  privateHandle: Buffer,
): KeyObject {
  const { api, session } = token;
  if (spec.keyType === 'ec') {
    for (const handle of [publicHandle, privateHandle]) {
      const raw = readAttributes(api, session, handle, [pkcs11js.CKA_EC_POINT]).get(pkcs11js.CKA_EC_POINT);
      const point = raw && ecPointFromAttribute(raw, spec.curve as NonNullable<KeySpec['curve']>);
      if (point) return ecPublicKey(spec.curve as NonNullable<KeySpec['curve']>, point);
    }
  } else {
    for (const handle of [publicHandle, privateHandle]) {
      const values = readAttributes(api, session, handle, [
        pkcs11js.CKA_MODULUS,
        pkcs11js.CKA_PUBLIC_EXPONENT,
      ]);
      const modulus = values.get(pkcs11js.CKA_MODULUS);
      const exponent = values.get(pkcs11js.CKA_PUBLIC_EXPONENT);
      if (modulus?.length && exponent?.length) return rsaPublicKey(modulus, exponent);
    }
  }
  throw new AgentError(
    'KEY_PUBLIC_UNREADABLE',
    `${token.description} did not return the public key it made`,
    {
      hint: 'the token keeps the public half unreadable; a CSR cannot be made from it, use another token',
    },
  );
}

/**
 * C_GenerateKeyPair on the token of `token` (a logged-in read-write session): refuses a taken
 * label or id and a key type the token does not offer before creating anything; on any
 * failure after creation, destroys what was made.
 */
export function generateKeyPair(token: TokenSession, options: GenerateKeyOptions): GeneratedKey {
  assertLabel(options.label);
  const spec = keySpec(options.type);
  const id = options.id ?? Uint8Array.from(randomBytes(RANDOM_ID_BYTES));
  assertSupported(token, spec);
  assertFree(token, options.label, id);
  token.assertWritable();
  const { publicTemplate, privateTemplate } = keyTemplates(
    spec,
    options.label,
    id,
    token.quirks.omitPublicUsage,
  );
  const mine: Template = [
    { type: pkcs11js.CKA_LABEL, value: Buffer.from(options.label, 'utf8') },
    { type: pkcs11js.CKA_ID, value: Buffer.from(id) },
  ];
  const what = `objects labelled "${options.label}" with id ${Buffer.from(id).toString('hex')}`;
  const context = `cannot generate a ${spec.name} key "${options.label}" on ${token.description}`;
  let pair: { publicKey: Buffer; privateKey: Buffer };
  try {
    pair = token.api.C_GenerateKeyPair(
      token.session,
      { mechanism: spec.generation },
      publicTemplate,
      privateTemplate,
    );
  } catch (error) {
    // Some modules leave one half behind on failure: the label and id were free, so what has them is ours.
    const left = sweepObjects(token, mine);
    const rv = rvOf(error);
    const mapped =
      rv !== undefined && UNSUPPORTED_RVS.has(rv)
        ? toPkcs11Error(error, 'C_GenerateKeyPair', context, {
            code: 'KEY_TYPE_UNSUPPORTED',
            hint: 'choose another --type; nothing was created',
          })
        : toWriteError(error, 'C_GenerateKeyPair', context, token.info);
    throw withLeftovers(mapped, left, what);
  }
  try {
    assertPolicy(token, pair.privateKey);
    const publicKey = readPublicKey(token, spec, pair.publicKey, pair.privateKey);
    return { label: options.label, id, spec, publicKey };
  } catch (error) {
    const left = destroyObjects(token, [pair.publicKey, pair.privateKey]).length;
    throw withLeftovers(error, left, what);
  }
}
