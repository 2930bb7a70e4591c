import { createPublicKey, X509Certificate as NodeCertificate, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPkcs11 } from '../../src/signer/from-pkcs11';
import type { Digest, Signer } from '../../src/signer/signer';
import {
  createIntermediateCa,
  createRootCa,
  issueLeaf,
  issueLeafForPublicKey,
  type TestCa,
  type TestKeyType,
} from '../helpers/pki';
import {
  createSoftHsmToken,
  generateAlwaysAuthKeyInToken,
  generateKeyInToken,
  importCertificate,
  importKey,
  type SoftHsmToken,
} from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('ra-pkcs11-signer-');
let token: SoftHsmToken;
let root: TestCa;
let intermediate: TestCa;
let otherRoot: TestCa;
let otherIntermediate: TestCa;

interface Identity {
  name: string;
  idHex: string;
  keyType: 'ec' | 'rsa';
  curve?: string;
  modulusBits?: number;
  certPem: string;
  serialHex: string;
}
const identities: Identity[] = [];

const IMPORTED: { keyType: TestKeyType; idHex: string }[] = [
  { keyType: 'ec-p256', idHex: '01' },
  { keyType: 'ec-p384', idHex: '02' },
  { keyType: 'rsa-2048', idHex: '03' },
  { keyType: 'rsa-3072', idHex: '04' },
];
const GENERATED = [
  { keyType: 'EC:prime256v1', idHex: '11', curve: 'P-256' },
  { keyType: 'EC:secp384r1', idHex: '12', curve: 'P-384' },
  { keyType: 'rsa:2048', idHex: '13', modulusBits: 2048 },
  { keyType: 'rsa:3072', idHex: '14', modulusBits: 3072 },
] as const;

/** Serial in hex, upper case, without leading zeros (openssl and @peculiar/x509 differ on those). */
const serial = (source: Signer | string) =>
  (typeof source === 'string' ? source : source.certificate.serialNumber).toUpperCase().replace(/^0+/, '');
const percentId = (idHex: string) => idHex.replace(/(..)/g, '%$1');
const keyUri = (idHex: string, extra = '') =>
  `pkcs11:token=ra-test;id=${percentId(idHex)}${extra}?pin-value=1234`;

function assertVerifies(
  signer: Signer,
  data: Uint8Array,
  signature: Uint8Array,
  digest: Digest = 'SHA256',
): void {
  const publicKey = new NodeCertificate(Buffer.from(signer.certificate.rawData)).publicKey;
  const ok = verify(digest.replace('SHA', 'sha'), data, { key: publicKey, dsaEncoding: 'der' }, signature);
  expect(ok).toBe(true);
}

beforeAll(() => {
  token = createSoftHsmToken(tmp.path);
  root = createRootCa(tmp.path, 'Signer Root CA');
  intermediate = createIntermediateCa(tmp.path, root, 'Signer Intermediate CA');
  // An unrelated identity with its own CAs on the same token: none of it may enter a chain.
  otherRoot = createRootCa(tmp.path, 'Other Root CA');
  otherIntermediate = createIntermediateCa(tmp.path, otherRoot, 'Other Intermediate CA');
  const other = issueLeaf(tmp.path, otherIntermediate, { name: 'other-device' });
  importKey(token, other.keyPath, 'f0', 'other-device');
  importCertificate(token, other.certPath, 'f0', 'other-device');
  importCertificate(token, otherIntermediate.certPath, 'f1', 'other-intermediate');
  importCertificate(token, otherRoot.certPath, 'f2', 'other-root');
  importCertificate(token, intermediate.certPath, 'a0', 'signer-intermediate');
  importCertificate(token, root.certPath, 'a1', 'signer-root');

  for (const { keyType, idHex } of IMPORTED) {
    const name = `imported-${keyType}`;
    const leaf = issueLeaf(tmp.path, intermediate, { name, keyType });
    importKey(token, leaf.keyPath, idHex, name);
    importCertificate(token, leaf.certPath, idHex, name);
    identities.push({
      name,
      idHex,
      keyType: keyType.startsWith('ec') ? 'ec' : 'rsa',
      ...(keyType === 'ec-p256' ? { curve: 'P-256' } : keyType === 'ec-p384' ? { curve: 'P-384' } : {}),
      ...(keyType === 'rsa-2048'
        ? { modulusBits: 2048 }
        : keyType === 'rsa-3072'
          ? { modulusBits: 3072 }
          : {}),
      certPem: leaf.certPem,
      serialHex: leaf.serialHex,
    });
  }
  for (const generated of GENERATED) {
    const name = `generated-${generated.keyType.replace(':', '-')}`;
    const spki = generateKeyInToken(token, generated.keyType, generated.idHex, name);
    const cert = issueLeafForPublicKey(tmp.path, intermediate, spki, { name });
    importCertificate(token, cert.certPath, generated.idHex, name);
    identities.push({
      name,
      idHex: generated.idHex,
      keyType: generated.keyType.startsWith('EC') ? 'ec' : 'rsa',
      ...('curve' in generated ? { curve: generated.curve } : {}),
      ...('modulusBits' in generated ? { modulusBits: generated.modulusBits } : {}),
      certPem: cert.certPem,
      serialHex: cert.serialHex,
    });
  }
});

afterAll(() => tmp.remove());

describe('fromPkcs11 on SoftHSM', () => {
  it.each([
    'imported-ec-p256',
    'imported-ec-p384',
    'imported-rsa-2048',
    'imported-rsa-3072',
    'generated-EC-prime256v1',
    'generated-EC-secp384r1',
    'generated-rsa-2048',
    'generated-rsa-3072',
  ])('%s: certificate and chain from the token, signatures verify with the certificate key', async (name) => {
    const identity = identities.find((entry) => entry.name === name);
    if (!identity) throw new Error(`no identity ${name}`);
    const signer = await fromPkcs11({ uri: keyUri(identity.idHex), module: token.module });
    try {
      expect(signer.keyType).toBe(identity.keyType);
      expect(signer.curve).toBe(identity.curve);
      expect(signer.modulusBits).toBe(identity.modulusBits);
      expect(signer.algorithm).toBe(
        identity.keyType === 'ec' ? 'AWS4-X509-ECDSA-SHA256' : 'AWS4-X509-RSA-SHA256',
      );
      expect(serial(signer)).toBe(serial(identity.serialHex));
      // The leaf's issuer only: the root is the verifier's trust anchor, the other identity's CAs are unrelated.
      expect(signer.chain.map((cert) => cert.subject)).toEqual(
        [intermediate.name].map((cn) => `O=rolesanywhere-agent tests, CN=${cn}`),
      );
      for (const digest of ['SHA256', 'SHA384', 'SHA512'] as const) {
        const data = new TextEncoder().encode(`string to sign ${name} ${digest}`);
        const signature = await signer.sign(data, digest);
        assertVerifies(signer, data, signature, digest);
        // A signature over other data must not verify: the check above can fail.
        const publicKey = createPublicKey({
          key: Buffer.from(signer.certificate.publicKey.rawData),
          format: 'der',
          type: 'spki',
        });
        expect(
          verify(
            digest.replace('SHA', 'sha'),
            new TextEncoder().encode('other'),
            { key: publicKey, dsaEncoding: 'der' },
            signature,
          ),
        ).toBe(false);
      }
    } finally {
      await signer.close();
    }
  });

  it('takes the certificate as a file path, PEM text or a pkcs11: URI', async () => {
    const identity = identities.find((entry) => entry.name === 'imported-ec-p256') as Identity;
    const certPath = `${tmp.path}/imported-ec-p256.crt`;
    for (const certificate of [
      certPath,
      identity.certPem,
      'pkcs11:token=ra-test;object=imported-ec-p256;type=cert',
    ]) {
      const signer = await fromPkcs11({ uri: keyUri(identity.idHex), module: token.module, certificate });
      try {
        expect(serial(signer)).toBe(serial(identity.serialHex));
        const data = new TextEncoder().encode('certificate source');
        assertVerifies(signer, data, await signer.sign(data));
      } finally {
        await signer.close();
      }
    }
  });

  it('selects the key by label (object=) as well as by id', async () => {
    const signer = await fromPkcs11({
      uri: 'pkcs11:token=ra-test;object=generated-rsa-2048?pin-value=1234',
      module: token.module,
    });
    try {
      expect(signer.modulusBits).toBe(2048);
      const data = new TextEncoder().encode('by label');
      assertVerifies(signer, data, await signer.sign(data));
    } finally {
      await signer.close();
    }
  });

  it('builds the chain from an intermediates file when the token holds no CA certificate for the leaf', async () => {
    const deep = createIntermediateCa(tmp.path, intermediate, 'Signer Issuing CA');
    const leaf = issueLeaf(tmp.path, deep, { name: 'deep-device' });
    importKey(token, leaf.keyPath, '30', 'deep-device');
    importCertificate(token, leaf.certPath, '30', 'deep-device');
    const signer = await fromPkcs11({ uri: keyUri('30'), module: token.module, intermediates: deep.certPem });
    try {
      // Issuing CA from the file, then the intermediate from the token; never the root or the other identity's CAs.
      expect(signer.chain.map((cert) => cert.subject)).toEqual([
        'O=rolesanywhere-agent tests, CN=Signer Issuing CA',
        'O=rolesanywhere-agent tests, CN=Signer Intermediate CA',
      ]);
    } finally {
      await signer.close();
    }
  });

  it('signs many requests in parallel over several sessions; every signature verifies', async () => {
    const signers = await Promise.all([
      fromPkcs11({ uri: keyUri('01'), module: token.module, sessions: 4 }),
      fromPkcs11({ uri: keyUri('13'), module: token.module, sessions: 4 }),
    ]);
    try {
      const jobs = Array.from({ length: 300 }, (_, index) => {
        const signer = signers[index % 2] as Signer;
        const data = new TextEncoder().encode(`parallel request ${index}`);
        return signer.sign(data).then((signature) => ({ signer, data, signature }));
      });
      const results = await Promise.all(jobs);
      expect(results).toHaveLength(300);
      for (const { signer, data, signature } of results) assertVerifies(signer, data, signature);
    } finally {
      await Promise.all(signers.map((signer) => signer.close()));
    }
  });

  it('logs in before each signature with a CKA_ALWAYS_AUTHENTICATE key', async () => {
    const spki = generateAlwaysAuthKeyInToken(token, 'EC:prime256v1', '40', 'always-auth');
    const cert = issueLeafForPublicKey(tmp.path, intermediate, spki, { name: 'always-auth' });
    importCertificate(token, cert.certPath, '40', 'always-auth');
    const signer = await fromPkcs11({ uri: keyUri('40'), module: token.module });
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, index) => {
          const data = new TextEncoder().encode(`always authenticate ${index}`);
          return { data, signature: await signer.sign(data) };
        }),
      );
      for (const { data, signature } of results) assertVerifies(signer, data, signature);
    } finally {
      await signer.close();
    }
  });

  it('refuses to sign after close, and close twice is fine', async () => {
    const signer = await fromPkcs11({ uri: keyUri('02'), module: token.module });
    await signer.close();
    await signer.close();
    await expect(signer.sign(new Uint8Array([1]))).rejects.toMatchObject({ code: 'SIGNER_CLOSED' });
  });
});
