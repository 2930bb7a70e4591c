import { constants, createHash, generateKeyPairSync, privateEncrypt, sign, verify } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';
import { digestInfo, ecdsaSignatureToDer, signingPlan } from '../../../src/pkcs11/mechanism';
import { x509 } from '../../../src/x509/x509';

const data = new TextEncoder().encode('AWS4-X509-ECDSA-SHA256\n20260101T000000Z\nscope\nhash');

describe('signingPlan', () => {
  it('uses the combined mechanism when the token lists it, fed with the data itself', () => {
    const plan = signingPlan('ec', 'SHA384', new Set([pkcs11js.CKM_ECDSA, pkcs11js.CKM_ECDSA_SHA384]));
    expect(plan.mechanism).toBe(pkcs11js.CKM_ECDSA_SHA384);
    expect(Buffer.from(plan.input(data))).toEqual(Buffer.from(data));
    const rsa = signingPlan('rsa', 'SHA512', new Set([pkcs11js.CKM_RSA_PKCS, pkcs11js.CKM_SHA512_RSA_PKCS]));
    expect(rsa.mechanism).toBe(pkcs11js.CKM_SHA512_RSA_PKCS);
  });

  it('hashes here for CKM_ECDSA when the combined one is missing (SoftHSM 2.6)', () => {
    const plan = signingPlan('ec', 'SHA256', new Set([pkcs11js.CKM_ECDSA, pkcs11js.CKM_ECDSA_SHA384]));
    expect(plan.mechanism).toBe(pkcs11js.CKM_ECDSA);
    expect(plan.input(data)).toEqual(createHash('sha256').update(data).digest());
  });

  it('wraps the hash in a DigestInfo for CKM_RSA_PKCS', () => {
    const plan = signingPlan('rsa', 'SHA256', new Set([pkcs11js.CKM_RSA_PKCS]));
    expect(plan.mechanism).toBe(pkcs11js.CKM_RSA_PKCS);
    expect(plan.input(data)).toEqual(digestInfo('SHA256', createHash('sha256').update(data).digest()));
  });

  it('refuses a token with no usable mechanism', () => {
    expect(() => signingPlan('ec', 'SHA256', new Set([pkcs11js.CKM_RSA_PKCS]))).toThrow(
      expect.objectContaining({ code: 'PKCS11_MECHANISM_UNSUPPORTED' }),
    );
  });
});

describe('digestInfo', () => {
  // RSA "raw" PKCS#1 v1.5 over our DigestInfo must equal node's RSA-SHAx signature.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  it.each(['SHA256', 'SHA384', 'SHA512'] as const)(
    '%s DigestInfo signed raw verifies as RSA PKCS#1 v1.5',
    (digest) => {
      const hash = createHash(digest.toLowerCase()).update(data).digest();
      const info = digestInfo(digest, hash);
      // privateEncrypt with PKCS#1 v1.5 padding is exactly what CKM_RSA_PKCS computes.
      const signature = privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, info);
      expect(verify(digest.toLowerCase(), data, publicKey, signature)).toBe(true);
      expect(signature).toEqual(sign(digest.toLowerCase(), data, privateKey));
    },
  );
});

const formatter = new x509.AsnEcSignatureFormatter();
const library = (rs: Uint8Array, curve: string) =>
  new Uint8Array(
    formatter.toAsnSignature(
      { name: 'ECDSA', namedCurve: curve } as Parameters<typeof formatter.toAsnSignature>[0],
      rs,
    ) as ArrayBuffer,
  );

describe('ecdsaSignatureToDer', () => {
  it.each([
    ['P-256', 'prime256v1'],
    ['P-384', 'secp384r1'],
    ['P-521', 'secp521r1'],
  ] as const)('turns %s r||s into a DER ECDSA-Sig-Value node verifies', (curve, namedCurve) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
    // Many signatures, so r or s with a high bit set (needs a 0x00 pad) and short values both occur.
    for (let i = 0; i < 64; i++) {
      const message = new TextEncoder().encode(`message ${i}`);
      const rs = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const der = ecdsaSignatureToDer(rs);
      // Byte for byte what @peculiar/x509's formatter makes (it is only slower).
      expect(Buffer.from(der)).toEqual(Buffer.from(library(rs, curve)));
      expect(der[0]).toBe(0x30);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
      expect(
        verify('sha256', new TextEncoder().encode('other'), { key: publicKey, dsaEncoding: 'der' }, der),
      ).toBe(false);
    }
  });

  it('encodes small r and s minimally, with a pad byte when the high bit is set', () => {
    const rs = new Uint8Array(64);
    rs[31] = 0x01; // r = 1
    rs[32] = 0x80; // s = 0x80 followed by zeros (high bit set)
    const der = Buffer.from(ecdsaSignatureToDer(rs));
    expect(der.subarray(0, 5).toString('hex')).toBe('3026020101');
    expect(der.subarray(5, 8).toString('hex')).toBe('022100');
    expect(der[8]).toBe(0x80);
    expect(der).toEqual(Buffer.from(library(rs, 'P-256')));
  });

  it('uses the long length form when a P-521 signature needs it, and refuses odd lengths', () => {
    const rs = new Uint8Array(132).fill(0xff);
    const der = Buffer.from(ecdsaSignatureToDer(rs));
    expect(der.subarray(0, 3).toString('hex')).toBe('30818a'); // 2 x (2 + 1 + 66) = 138
    expect(der).toEqual(Buffer.from(library(rs, 'P-521')));
    expect(() => ecdsaSignatureToDer(new Uint8Array(63))).toThrow(/odd length/);
  });
});
