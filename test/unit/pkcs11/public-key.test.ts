import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  curveFromEcParams,
  curveOfKey,
  ecPointFromAttribute,
  ecPublicKey,
  rsaPublicKey,
  spkiPublicKey,
} from '../../../src/pkcs11/public-key';

function rawPoint(namedCurve: string) {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x as string, 'base64url'),
    Buffer.from(jwk.y as string, 'base64url'),
  ]);
  return { publicKey, point };
}

describe('curveFromEcParams', () => {
  it('knows the named curves Roles Anywhere accepts', () => {
    expect(curveFromEcParams(Buffer.from('06082a8648ce3d030107', 'hex'))).toBe('P-256');
    expect(curveFromEcParams(Buffer.from('06052b81040022', 'hex'))).toBe('P-384');
    expect(curveFromEcParams(Buffer.from('06052b81040023', 'hex'))).toBe('P-521');
    expect(curveFromEcParams(Buffer.from('06052b8104000a', 'hex'))).toBeUndefined(); // secp256k1
    expect(curveFromEcParams(undefined)).toBeUndefined();
  });
});

describe('ecPointFromAttribute', () => {
  it('unwraps the DER OCTET STRING (short and long form) and accepts a bare point', () => {
    const p256 = rawPoint('prime256v1').point;
    expect(
      Buffer.from(ecPointFromAttribute(Buffer.concat([Buffer.from([4, 65]), p256]), 'P-256') as Uint8Array),
    ).toEqual(p256);
    expect(Buffer.from(ecPointFromAttribute(p256, 'P-256') as Uint8Array)).toEqual(p256);
    const p521 = rawPoint('secp521r1').point;
    expect(p521.length).toBe(133);
    expect(
      Buffer.from(
        ecPointFromAttribute(Buffer.concat([Buffer.from([4, 0x81, 133]), p521]), 'P-521') as Uint8Array,
      ),
    ).toEqual(p521);
  });

  it('refuses points of the wrong size or compressed form', () => {
    const p256 = rawPoint('prime256v1').point;
    expect(ecPointFromAttribute(Buffer.concat([Buffer.from([4, 65]), p256]), 'P-384')).toBeUndefined();
    expect(
      ecPointFromAttribute(Buffer.concat([Buffer.from([2]), p256.subarray(1, 33)]), 'P-256'),
    ).toBeUndefined();
  });
});

describe('public keys from token attributes', () => {
  it('rebuilds an EC key equal to the original', () => {
    const { publicKey, point } = rawPoint('secp384r1');
    const rebuilt = ecPublicKey('P-384', point);
    expect(rebuilt.equals(publicKey)).toBe(true);
    expect(curveOfKey(rebuilt)).toBe('P-384');
    expect(rebuilt.equals(rawPoint('secp384r1').publicKey)).toBe(false);
  });

  it('rebuilds an RSA key from modulus and exponent, leading zero bytes or not', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const modulus = Buffer.concat([Buffer.from([0]), Buffer.from(jwk.n as string, 'base64url')]);
    const exponent = Buffer.from([0, 0, 1, 0, 1]);
    expect(rsaPublicKey(modulus, exponent).equals(publicKey)).toBe(true);
  });

  it('reads SPKI DER', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    expect(spkiPublicKey(spki).equals(publicKey)).toBe(true);
    expect(curveOfKey(publicKey)).toBe('P-256');
  });
});
