import type { KeyObject } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AgentError } from '../errors';
import type { EcCurve, KeyType } from '../signer/signer';
import { findObjects, readAttributes, type Template, ulongOf } from './objects';
import {
  curveFromEcParams,
  ecPointFromAttribute,
  ecPublicKey,
  rsaPublicKey,
  spkiPublicKey,
} from './public-key';
import type { OpenToken } from './token';
import { formatPkcs11Uri, type Pkcs11Uri } from './uri';

// PKCS#11 2.40 CKA_PUBLIC_KEY_INFO (SPKI DER on a private key); pkcs11js has no constant for it.
const CKA_PUBLIC_KEY_INFO = 0x129;

/** Where objects are searched: a module, a session on the token, the token's description. */
export type ObjectScope = Pick<OpenToken, 'module' | 'mainSession' | 'description'>;

export interface PrivateKeyObject {
  handle: Buffer;
  keyType: KeyType;
  curve?: EcCurve;
  modulusBits?: number;
  label: string;
  id: Uint8Array;
  alwaysAuthenticate: boolean;
  /** The public half as the token tells it, when it does (see publicKeyOf). */
  publicKey?: KeyObject;
}

function bitLength(bytes: Uint8Array): number {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (bytes[start] as number).toString(2).length;
}

/** `key "label" (id 0a0b)`, for messages. */
export function describeKey(key: Pick<PrivateKeyObject, 'label' | 'id'>): string {
  const id = key.id.length > 0 ? ` (id ${Buffer.from(key.id).toString('hex')})` : '';
  return `key "${key.label}"${id}`;
}

function objectPart(uri: Pkcs11Uri): string {
  const selector = formatPkcs11Uri({
    ...(uri.object !== undefined ? { object: uri.object } : {}),
    ...(uri.id ? { id: uri.id } : {}),
  });
  return selector === 'pkcs11:' ? 'the URI' : selector.slice('pkcs11:'.length);
}

function selectorTemplate(uri: Pkcs11Uri): Template {
  return [
    ...(uri.id ? [{ type: pkcs11js.CKA_ID, value: Buffer.from(uri.id) }] : []),
    ...(uri.object !== undefined
      ? [{ type: pkcs11js.CKA_LABEL, value: Buffer.from(uri.object, 'utf8') }]
      : []),
  ];
}

function labelAndId(token: ObjectScope, handle: Buffer): { label: string; id: Uint8Array } {
  const values = readAttributes(token.module.api, token.mainSession, handle, [
    pkcs11js.CKA_LABEL,
    pkcs11js.CKA_ID,
  ]);
  return {
    label: values.get(pkcs11js.CKA_LABEL)?.toString('utf8') ?? '',
    id: values.get(pkcs11js.CKA_ID) ?? new Uint8Array(),
  };
}

function listKeys(token: ObjectScope, handles: readonly Buffer[]): string {
  if (handles.length === 0) return 'none';
  return handles.map((handle) => describeKey(labelAndId(token, handle))).join(', ');
}

/**
 * The public half: CKA_PUBLIC_KEY_INFO of the private key, else its modulus and exponent
 * (RSA), else the CKA_EC_POINT of the public key object with the same id (EC). Undefined
 * when the token keeps none of these; a sign-and-verify check stands in then.
 */
function publicKeyOf(
  token: ObjectScope,

  key: Omit<PrivateKeyObject, 'publicKey'>,
  values: Map<number, Buffer>,
): KeyObject | undefined {
  const info = values.get(CKA_PUBLIC_KEY_INFO);
  try {
    if (info && info.length > 0) return spkiPublicKey(info);
    const modulus = values.get(pkcs11js.CKA_MODULUS);
    const exponent = values.get(pkcs11js.CKA_PUBLIC_EXPONENT);
    if (key.keyType === 'rsa' && modulus?.length && exponent?.length) return rsaPublicKey(modulus, exponent);
    if (key.keyType !== 'ec' || !key.curve || key.id.length === 0) return undefined;
    const { api } = token.module;
    const publics = findObjects(
      api,
      token.mainSession,
      [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
        { type: pkcs11js.CKA_ID, value: Buffer.from(key.id) },
      ],
      `cannot search public keys on ${token.description}`,
    );
    if (publics.length !== 1) return undefined;
    const raw = readAttributes(api, token.mainSession, publics[0] as Buffer, [pkcs11js.CKA_EC_POINT]).get(
      pkcs11js.CKA_EC_POINT,
    );
    const point = raw && ecPointFromAttribute(raw, key.curve);
    return point ? ecPublicKey(key.curve, point) : undefined;
  } catch {
    // Unusable public data: the sign-and-verify check decides instead.
    return undefined;
  }
}

/**
 * The one private key on the token that the URI's id and/or object (label) select; with
 * neither, the token's only private key. None or several: an error listing the keys found.
 */
export function findPrivateKey(token: ObjectScope, uri: Pkcs11Uri): PrivateKeyObject {
  const { api } = token.module;
  const context = `cannot search private keys on ${token.description}`;
  const privateClass = { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY };
  const handles = findObjects(api, token.mainSession, [privateClass, ...selectorTemplate(uri)], context);
  if (handles.length !== 1) {
    const all = findObjects(api, token.mainSession, [privateClass], context);
    const wanted = objectPart(uri);
    if (handles.length === 0) {
      throw new AgentError(
        'PKCS11_KEY_NOT_FOUND',
        `no private key matches ${wanted} on ${token.description}; private keys found: ${listKeys(token, all)}`,
        {
          hint:
            all.length === 0
              ? 'import or generate the key on this token, or log in to the right token'
              : 'use object=<label> and/or id=<hex as %xx> of one of the keys found',
        },
      );
    }
    throw new AgentError(
      'PKCS11_KEY_AMBIGUOUS',
      `${handles.length} private keys match ${wanted} on ${token.description}: ${listKeys(token, handles)}`,
      {
        hint: 'add id=... or object=... to the URI so that exactly one key matches',
      },
    );
  }
  const handle = handles[0] as Buffer;
  const values = readAttributes(api, token.mainSession, handle, [
    pkcs11js.CKA_KEY_TYPE,
    pkcs11js.CKA_LABEL,
    pkcs11js.CKA_ID,
    pkcs11js.CKA_ALWAYS_AUTHENTICATE,
    pkcs11js.CKA_EC_PARAMS,
    pkcs11js.CKA_MODULUS,
    pkcs11js.CKA_PUBLIC_EXPONENT,
    CKA_PUBLIC_KEY_INFO,
  ]);
  const label = values.get(pkcs11js.CKA_LABEL)?.toString('utf8') ?? '';
  const id = values.get(pkcs11js.CKA_ID) ?? new Uint8Array();
  const type = ulongOf(values.get(pkcs11js.CKA_KEY_TYPE));
  const keyType: KeyType | undefined =
    type === pkcs11js.CKK_EC ? 'ec' : type === pkcs11js.CKK_RSA ? 'rsa' : undefined;
  if (!keyType) {
    throw new AgentError(
      'KEY_UNSUPPORTED',
      `${describeKey({ label, id })} on ${token.description} is neither an RSA nor an EC key`,
      {
        hint: 'IAM Roles Anywhere accepts RSA and EC (P-256, P-384, P-521) keys',
      },
    );
  }
  const curve = keyType === 'ec' ? curveFromEcParams(values.get(pkcs11js.CKA_EC_PARAMS)) : undefined;
  if (keyType === 'ec' && !curve) {
    throw new AgentError(
      'KEY_UNSUPPORTED',
      `${describeKey({ label, id })} on ${token.description} is on an EC curve other than P-256, P-384, P-521`,
      {
        hint: 'use an EC key on P-256, P-384 or P-521',
      },
    );
  }
  const modulus = values.get(pkcs11js.CKA_MODULUS);
  const key: Omit<PrivateKeyObject, 'publicKey'> = {
    handle,
    keyType,
    ...(curve ? { curve } : {}),
    ...(keyType === 'rsa' && modulus?.length ? { modulusBits: bitLength(modulus) } : {}),
    label,
    id,
    alwaysAuthenticate: ulongOf(values.get(pkcs11js.CKA_ALWAYS_AUTHENTICATE)) === 1,
  };
  const publicKey = publicKeyOf(token, key, values);
  return publicKey ? { ...key, publicKey } : key;
}

/** DER of the X.509 certificates on the token, all of them or those matching `template` too. */
export function certificatesOnToken(token: ObjectScope, template: Template = []): Uint8Array[] {
  const { api } = token.module;
  const handles = findObjects(
    api,
    token.mainSession,
    [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
      { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
      ...template,
    ],
    `cannot search certificates on ${token.description}`,
  );
  return handles
    .map((handle) =>
      readAttributes(api, token.mainSession, handle, [pkcs11js.CKA_VALUE]).get(pkcs11js.CKA_VALUE),
    )
    .filter((value): value is Buffer => value !== undefined && value.length > 0)
    .map((value) => new Uint8Array(value));
}

/** Certificates stored for `key`: with its CKA_ID, else (no id, or none with it) with its label. */
export function certificatesForKey(
  token: OpenToken,
  key: Pick<PrivateKeyObject, 'label' | 'id'>,
): Uint8Array[] {
  if (key.id.length > 0) {
    const byId = certificatesOnToken(token, [{ type: pkcs11js.CKA_ID, value: Buffer.from(key.id) }]);
    if (byId.length > 0) return byId;
  }
  if (key.label === '') return [];
  return certificatesOnToken(token, [{ type: pkcs11js.CKA_LABEL, value: Buffer.from(key.label, 'utf8') }]);
}

/** Certificates a `type=cert` URI selects (id and/or object label). */
export function certificatesByUri(token: ObjectScope, uri: Pkcs11Uri): Uint8Array[] {
  return certificatesOnToken(token, selectorTemplate(uri));
}
