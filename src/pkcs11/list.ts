import pkcs11js from 'pkcs11js';
import type { EcCurve, KeyType } from '../signer/signer';
import { type X509Certificate, x509 } from '../x509/x509';
import { objectUri, type UriCarryOver } from './object-uri';
import { findObjects, readAttributes, ulongOf } from './objects';
import { curveFromEcParams } from './public-key';
import type { TokenSession } from './token-session';

export interface ListedKey {
  /** 'private' when logged in; a public key is listed only when its private half is not visible. */
  kind: 'private' | 'public';
  label: string;
  /** CKA_ID in hex. */
  id: string;
  keyType: KeyType | 'other';
  curve?: EcCurve;
  modulusBits?: number;
  uri: string;
  /** Certificates on the token with the key's id (or, without an id, its label). */
  certificates: number;
}

export interface ListedCertificate {
  label: string;
  id: string;
  subject: string;
  issuer: string;
  /** Serial in lower-case hex, as read-certificate-data and the default session name use it. */
  serial: string;
  notBefore: string;
  notAfter: string;
  ca: boolean;
  /** expired, not yet valid, or valid, at the time of listing. */
  status: 'valid' | 'expired' | 'not yet valid';
  /** Label of the key this certificate belongs to (same id), when the key is visible. */
  key?: string;
  uri: string;
}

export interface TokenListing {
  token: { label: string; serial: string; manufacturer: string; model: string; slotId: string };
  module: string;
  loggedIn: boolean;
  keys: ListedKey[];
  certificates: ListedCertificate[];
}

const hex = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('hex') : '');

function bitLength(bytes: Uint8Array): number {
  const value = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  return value === 0n ? 0 : value.toString(2).length;
}

interface RawObject {
  label: string;
  id: Uint8Array;
  values: Map<number, Buffer>;
}

function readObjects(token: TokenSession, objectClass: number, types: number[]): RawObject[] {
  const handles = findObjects(
    token.api,
    token.session,
    [{ type: pkcs11js.CKA_CLASS, value: objectClass }],
    `cannot list objects on ${token.description}`,
  );
  return handles.map((handle) => {
    const values = readAttributes(token.api, token.session, handle, [
      pkcs11js.CKA_LABEL,
      pkcs11js.CKA_ID,
      ...types,
    ]);
    return {
      label: values.get(pkcs11js.CKA_LABEL)?.toString('utf8') ?? '',
      id: new Uint8Array(values.get(pkcs11js.CKA_ID) ?? []),
      values,
    };
  });
}

function keyDetails(values: Map<number, Buffer>): Pick<ListedKey, 'keyType' | 'curve' | 'modulusBits'> {
  const type = ulongOf(values.get(pkcs11js.CKA_KEY_TYPE));
  if (type === pkcs11js.CKK_EC) {
    const curve = curveFromEcParams(values.get(pkcs11js.CKA_EC_PARAMS));
    return { keyType: 'ec', ...(curve ? { curve } : {}) };
  }
  if (type === pkcs11js.CKK_RSA) {
    const modulus = values.get(pkcs11js.CKA_MODULUS);
    const bits = modulus?.length ? bitLength(modulus) : ulongOf(values.get(pkcs11js.CKA_MODULUS_BITS));
    return { keyType: 'rsa', ...(bits ? { modulusBits: bits } : {}) };
  }
  return { keyType: 'other' };
}

function statusOf(cert: X509Certificate, now: Date): ListedCertificate['status'] {
  if (cert.notAfter.getTime() <= now.getTime()) return 'expired';
  if (cert.notBefore.getTime() > now.getTime()) return 'not yet valid';
  return 'valid';
}

const KEY_ATTRIBUTES = [
  pkcs11js.CKA_KEY_TYPE,
  pkcs11js.CKA_EC_PARAMS,
  pkcs11js.CKA_MODULUS,
  pkcs11js.CKA_MODULUS_BITS,
];

/**
 * The keys and certificates of one token with their pkcs11: URIs. Reads labels, ids, key
 * types and sizes, and certificates (public data): never key material.
 */
export function listTokenObjects(
  token: TokenSession,
  extras: UriCarryOver = {},
  now = new Date(),
): TokenListing {
  const privates = token.loggedIn ? readObjects(token, pkcs11js.CKO_PRIVATE_KEY, KEY_ATTRIBUTES) : [];
  const publics = readObjects(token, pkcs11js.CKO_PUBLIC_KEY, KEY_ATTRIBUTES);
  const certs = readObjects(token, pkcs11js.CKO_CERTIFICATE, [
    pkcs11js.CKA_VALUE,
    pkcs11js.CKA_CERTIFICATE_TYPE,
  ])
    .filter((raw) => ulongOf(raw.values.get(pkcs11js.CKA_CERTIFICATE_TYPE)) === pkcs11js.CKC_X_509)
    .flatMap((raw) => {
      try {
        return [
          { raw, cert: new x509.X509Certificate(new Uint8Array(raw.values.get(pkcs11js.CKA_VALUE) ?? [])) },
        ];
      } catch {
        return [];
      }
    });
  const sameKey = (a: RawObject, b: RawObject) =>
    a.id.length > 0 ? Buffer.from(a.id).equals(Buffer.from(b.id)) : a.label === b.label && b.id.length === 0;
  const visible = [
    ...privates.map((raw) => ({ raw, kind: 'private' as const })),
    ...publics
      .filter((pub) => !privates.some((priv) => sameKey(priv, pub)))
      .map((raw) => ({ raw, kind: 'public' as const })),
  ];
  const keys: ListedKey[] = visible.map(({ raw, kind }) => {
    // The public half often carries what the private one keeps to itself (EC params, modulus).
    const partner = publics.find((pub) => sameKey(raw, pub));
    const details = keyDetails(new Map([...(partner?.values ?? []), ...raw.values]));
    return {
      kind,
      label: raw.label,
      id: hex(raw.id),
      ...details,
      uri: objectUri(token.info, raw, kind, extras),
      certificates: certs.filter(({ raw: cert }) => sameKey(raw, cert)).length,
    };
  });
  const certificates: ListedCertificate[] = certs.map(({ raw, cert }) => {
    const owner = visible.find(({ raw: key }) => sameKey(key, raw));
    return {
      label: raw.label,
      id: hex(raw.id),
      subject: cert.subject,
      issuer: cert.issuer,
      serial: BigInt(`0x${cert.serialNumber}`).toString(16),
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      ca: cert.getExtension(x509.BasicConstraintsExtension)?.ca === true,
      status: statusOf(cert, now),
      ...(owner ? { key: owner.raw.label } : {}),
      uri: objectUri(token.info, raw, 'cert', extras),
    };
  });
  keys.sort((a, b) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id));
  certificates.sort(
    (a, b) =>
      Number(a.ca) - Number(b.ca) || a.label.localeCompare(b.label) || a.notAfter.localeCompare(b.notAfter),
  );
  const { info } = token;
  return {
    token: {
      label: info.label,
      serial: info.serial,
      manufacturer: info.manufacturer,
      model: info.model,
      slotId: info.slotId.toString(),
    },
    module: token.module.path,
    loggedIn: token.loggedIn,
    keys,
    certificates,
  };
}
