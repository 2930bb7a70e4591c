import { createHash, X509Certificate as NodeCertificate, randomBytes, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/native';
import { loadPkcs11Module } from '../../src/pkcs11/module';
import { nativeSigningFor } from '../../src/pkcs11/native-sign';
import { openPkcs11Key } from '../../src/pkcs11/pkcs11-key';
import { createRootCa, issueLeaf, type TestKeyType } from '../helpers/pki';
import { createSoftHsmToken, importKey, type SoftHsmToken } from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('ra-pkcs11-native-sign-');
let token: SoftHsmToken;
const KEYS: { keyType: TestKeyType; idHex: string; certPath?: string }[] = [
  { keyType: 'ec-p256', idHex: '01' },
  { keyType: 'ec-p384', idHex: '02' },
  { keyType: 'rsa-2048', idHex: '03' },
];

beforeAll(() => {
  token = createSoftHsmToken(tmp.path);
  const root = createRootCa(tmp.path, 'Native Sign Root CA');
  for (const key of KEYS) {
    const leaf = issueLeaf(tmp.path, root, { name: `device-${key.idHex}`, keyType: key.keyType });
    importKey(token, leaf.keyPath, key.idHex, `device-${key.idHex}`);
    key.certPath = leaf.certPath;
  }
});

afterAll(() => tmp.remove());

const uriOf = (idHex: string) =>
  `pkcs11:token=ra-test;id=%${idHex}?pin-value=1234&module-path=${token.module}`;
const publicKeyOf = (certPath: string) => new NodeCertificate(readFileSync(certPath)).publicKey;

describe('signing through the native addon', () => {
  it('binds a module pkcs11js has loaded, and no other', () => {
    loadPkcs11Module(token.module);
    expect(nativeSigningFor(token.module)).toBeDefined();
    expect(() => loadNative().bindPkcs11Module('/nonexistent/libnothing.so', 1)).toThrow(/is not loaded/);
  });

  for (const nativeSigning of [true, false]) {
    it(`signs with every key type, ${nativeSigning ? 'natively' : 'on pkcs11js alone'}, and the signatures verify`, async () => {
      for (const { idHex, certPath } of KEYS) {
        const key = await openPkcs11Key({ uri: uriOf(idHex), nativeSigning });
        try {
          const data = randomBytes(100);
          const signature = await key.sign(data, 'SHA384');
          const ok = verify(
            'sha384',
            data,
            { key: publicKeyOf(certPath ?? ''), dsaEncoding: 'der' },
            signature,
          );
          expect(ok, `key ${idHex}`).toBe(true);
        } finally {
          await key.close();
        }
      }
    });
  }

  it('keeps 300 concurrent signatures apart (each verifies over its own data)', async () => {
    const key = await openPkcs11Key({ uri: uriOf('01'), sessions: 6 });
    try {
      const inputs = Array.from({ length: 300 }, () => randomBytes(40));
      const signatures = await Promise.all(inputs.map((data) => key.sign(data)));
      const publicKey = publicKeyOf(KEYS[0]?.certPath ?? '');
      const verified = signatures.filter((signature, i) =>
        verify('sha256', inputs[i] as Buffer, { key: publicKey, dsaEncoding: 'der' }, signature),
      );
      expect(verified).toHaveLength(300);
    } finally {
      await key.close();
    }
  });
});

describe('the native binding itself, on pkcs11js handles', () => {
  let api: InstanceType<typeof pkcs11js.PKCS11>;
  let session: Buffer;
  let ecKey: Buffer;
  let rsaKey: Buffer;

  beforeAll(() => {
    api = loadPkcs11Module(token.module).api;
    const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.trim() === 'ra-test');
    if (!slot) throw new Error('token ra-test not found');
    session = api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      api.C_Login(session, pkcs11js.CKU_USER, token.pin);
    } catch (error) {
      if ((error as { code?: number }).code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw error;
    }
    const find = (idHex: string) => {
      api.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_ID, value: Buffer.from(idHex, 'hex') },
      ]);
      const [handle] = api.C_FindObjects(session, 1);
      api.C_FindObjectsFinal(session);
      if (!handle) throw new Error(`key ${idHex} not found`);
      return handle;
    };
    ecKey = find('01');
    rsaKey = find('03');
  });

  afterAll(() => api.C_CloseSession(session));

  const bound = () => loadNative().bindPkcs11Module(token.module, 2);

  it('asks again when the signature is larger than the buffer it was given', async () => {
    const digest = createHash('sha256').update('short buffer').digest();
    const signature = await bound().sign(session, pkcs11js.CKM_ECDSA, ecKey, digest, 8);
    expect(signature).toHaveLength(64);
  });

  it('names C_SignInit and its CK_RV when the key handle is void', async () => {
    const voidHandle = Buffer.alloc(ecKey.length, 0xee);
    const digest = createHash('sha256').update('void key').digest();
    const failure = bound().sign(session, pkcs11js.CKM_ECDSA, voidHandle, digest, 64);
    await expect(failure).rejects.toMatchObject({ name: 'Pkcs11Error', fn: 'C_SignInit' });
    const rv = await failure.catch((error: { code: number }) => error.code);
    // SoftHSM answers CKR_OBJECT_HANDLE_INVALID; the standard allows CKR_KEY_HANDLE_INVALID too.
    expect([pkcs11js.CKR_OBJECT_HANDLE_INVALID, pkcs11js.CKR_KEY_HANDLE_INVALID]).toContain(rv);
  });

  it('names C_Sign and its CK_RV when the module refuses the data', async () => {
    // CKM_RSA_PKCS takes at most k - 11 bytes: 300 bytes do not fit a 2048-bit key.
    const failure = bound().sign(session, pkcs11js.CKM_RSA_PKCS, rsaKey, randomBytes(300), 256);
    await expect(failure).rejects.toMatchObject({ name: 'Pkcs11Error', fn: 'C_Sign' });
    const rv = await failure.catch((error: { code: number }) => error.code);
    // SoftHSM 2.6 answers CKR_GENERAL_ERROR here; the standard says CKR_DATA_LEN_RANGE.
    expect([pkcs11js.CKR_DATA_LEN_RANGE, pkcs11js.CKR_GENERAL_ERROR]).toContain(rv);
  });

  it('refuses arguments that are not pkcs11js handles', () => {
    expect(() => bound().sign(Buffer.alloc(3), pkcs11js.CKM_ECDSA, ecKey, Buffer.alloc(32), 64)).toThrow(
      TypeError,
    );
  });
});
