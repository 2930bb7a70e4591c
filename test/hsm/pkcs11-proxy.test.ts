import { X509Certificate as NodeCertificate, verify } from 'node:crypto';
import { realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPkcs11Module } from '../../src/pkcs11/module';
import { resolveModulePath } from '../../src/pkcs11/module-path';
import { nativeSigningFor } from '../../src/pkcs11/native-sign';
import { parsePkcs11Uri } from '../../src/pkcs11/uri';
import { fromPkcs11 } from '../../src/signer/from-pkcs11';
import type { Signer } from '../../src/signer/signer';
import { createRootCa, issueLeaf } from '../helpers/pki';
import { createSoftHsmToken, importCertificate, importKey, type SoftHsmToken } from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('ra-pkcs11-proxy-');
let token: SoftHsmToken;

beforeAll(() => {
  // p11-kit-proxy also loads tpm2-pkcs11 (no TPM here): keep its store in our temp dir.
  process.env.TPM2_PKCS11_STORE = tmp.path;
  token = createSoftHsmToken(tmp.path, 'ra-proxy');
  const root = createRootCa(tmp.path, 'Proxy Root CA');
  const device = issueLeaf(tmp.path, root, { name: 'device' });
  importKey(token, device.keyPath, '01', 'device');
  importCertificate(token, device.certPath, '01', 'device');
});

afterAll(() => tmp.remove());

async function signsAndVerifies(signer: Signer): Promise<boolean> {
  const data = new TextEncoder().encode('through another module path');
  const signature = await signer.sign(data);
  const publicKey = new NodeCertificate(Buffer.from(signer.certificate.rawData)).publicKey;
  return verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
}

describe('module selection', () => {
  it('reaches the token through p11-kit-proxy when no module is given', async () => {
    const signer = await fromPkcs11({ uri: 'pkcs11:token=ra-proxy;id=%01?pin-value=1234' });
    try {
      expect(await signsAndVerifies(signer)).toBe(true);
      // The proxy gives each C_GetFunctionList caller its own instance: the native path must not
      // bind it (it would know none of the sessions), so signing stayed on pkcs11js.
      expect(
        nativeSigningFor(resolveModulePath(parsePkcs11Uri('pkcs11:token=ra-proxy')).path),
      ).toBeUndefined();
    } finally {
      await signer.close();
    }
  });

  it('finds SoftHSM by module-name=softhsm2 (its p11-kit config)', async () => {
    const signer = await fromPkcs11({
      uri: 'pkcs11:token=ra-proxy;id=%01?module-name=softhsm2&pin-value=1234',
    });
    try {
      expect(await signsAndVerifies(signer)).toBe(true);
    } finally {
      await signer.close();
    }
  });

  it('loads each module once per process, whatever path leads to it', () => {
    const link = join(tmp.path, 'softhsm-link.so');
    symlinkSync(realpathSync(token.module), link);
    const first = loadPkcs11Module(token.module);
    expect(loadPkcs11Module(token.module)).toBe(first);
    expect(loadPkcs11Module(link)).toBe(first);
  });
});
