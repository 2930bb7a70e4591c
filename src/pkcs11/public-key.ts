import { createPublicKey, type KeyObject } from 'node:crypto';
import type { EcCurve } from '../signer/signer';

/** DER of the named-curve OIDs a token puts in CKA_EC_PARAMS. */
const CURVE_OIDS: Record<string, EcCurve> = {
  '06082a8648ce3d030107': 'P-256',
  '06052b81040022': 'P-384',
  '06052b81040023': 'P-521',
};

const FIELD_BYTES: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

export function curveFromEcParams(params: Uint8Array | undefined): EcCurve | undefined {
  return params ? CURVE_OIDS[Buffer.from(params).toString('hex')] : undefined;
}

export function fieldBytes(curve: EcCurve): number {
  return FIELD_BYTES[curve];
}

/**
 * The uncompressed point (04 || X || Y) from CKA_EC_POINT, which the standard wraps in a DER
 * OCTET STRING and some tokens return bare.
 */
export function ecPointFromAttribute(value: Uint8Array, curve: EcCurve): Uint8Array | undefined {
  const size = 1 + 2 * FIELD_BYTES[curve];
  if (value.length === size && value[0] === 0x04) return value;
  if (value[0] !== 0x04) return undefined;
  // DER OCTET STRING: short form (length < 128) or long form with one length byte (0x81).
  const [offset, length] = value[1] === 0x81 ? [3, value[2]] : [2, value[1]];
  const point = value.subarray(offset);
  return length === size && point.length === size && point[0] === 0x04 ? point : undefined;
}

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** Strips the leading zero bytes a big-endian unsigned integer may carry. */
function unsigned(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

export function ecPublicKey(curve: EcCurve, point: Uint8Array): KeyObject {
  const size = FIELD_BYTES[curve];
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: curve,
      x: base64url(point.subarray(1, 1 + size)),
      y: base64url(point.subarray(1 + size)),
    },
    format: 'jwk',
  });
}

export function rsaPublicKey(modulus: Uint8Array, exponent: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'RSA', n: base64url(unsigned(modulus)), e: base64url(unsigned(exponent)) },
    format: 'jwk',
  });
}

export function spkiPublicKey(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/** Curve of a node:crypto EC key in the names the Signer uses. */
export function curveOfKey(key: KeyObject): EcCurve | undefined {
  const named = key.asymmetricKeyDetails?.namedCurve;
  return named === 'prime256v1'
    ? 'P-256'
    : named === 'secp384r1'
      ? 'P-384'
      : named === 'secp521r1'
        ? 'P-521'
        : undefined;
}
