import { X509Certificate as NodeCertificate, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadPkcs11Module } from '../../src/pkcs11/module';
import { fromPkcs11 } from '../../src/signer/from-pkcs11';
import type { Signer } from '../../src/signer/signer';
import { createRootCa, issueLeaf, type TestLeaf } from '../helpers/pki';
import {
  addSoftHsmToken,
  createSoftHsmToken,
  importKey,
  removeSoftHsmTokenLabelled,
} from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

// Its own file: SoftHSM reads SOFTHSM2_CONF once per process, and this test needs its own store.

async function signs(signer: Signer, text: string): Promise<boolean> {
  const data = new TextEncoder().encode(text);
  const signature = await signer.sign(data);
  const publicKey = new NodeCertificate(Buffer.from(signer.certificate.rawData)).publicKey;
  return verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
}

describe('two tokens on one module, one of them lost and re-created', () => {
  it("never signs with the other token's key after the module is re-initialized", async () => {
    const dir = makeTempDir('ra-pkcs11-two-');
    try {
      const store = createSoftHsmToken(dir.path, 'ra-a');
      addSoftHsmToken(store, 'ra-b');
      const root = createRootCa(dir.path, 'Two Root CA');
      const a = issueLeaf(dir.path, root, { name: 'a' });
      const b = issueLeaf(dir.path, root, { name: 'b' });
      importKey(store, a.keyPath, '01', 'key', 'ra-a');
      importKey(store, b.keyPath, '01', 'key', 'ra-b');
      const open = (label: string, leaf: TestLeaf) =>
        fromPkcs11({
          uri: `pkcs11:token=${label};id=%01?pin-value=1234`,
          module: store.module,
          certificate: leaf.certPath,
        });
      let signerA = await open('ra-a', a);
      const signerB = await open('ra-b', b);
      try {
        expect(await signs(signerA, 'a before')).toBe(true);
        expect(await signs(signerB, 'b before')).toBe(true);

        // Token A goes away and comes back; as the agent does, A's signer is closed, the module is
        // re-initialized so that it sees the new token (C_Finalize + C_Initialize), and A is opened
        // again. That voids token B's sessions and key handles too, and the module hands the same
        // numbers out again: B must notice, reconnect and find its key again.
        await signerA.close();
        removeSoftHsmTokenLabelled(store, 'ra-a');
        createSoftHsmToken(dir.path, 'ra-a');
        importKey(store, a.keyPath, '01', 'key', 'ra-a');
        await loadPkcs11Module(store.module).reinitialize();
        signerA = await open('ra-a', a);
        expect(await signs(signerA, 'a back')).toBe(true);

        // A fills its pool first, so new session and object handle numbers are in use when B,
        // still holding the old ones, signs next.
        expect(
          await Promise.all(Array.from({ length: 8 }, (_, index) => signs(signerA, `a ${index}`))),
        ).toEqual(Array(8).fill(true));
        const results = await Promise.all(
          Array.from({ length: 24 }, (_, index) =>
            index % 3 ? signs(signerB, `b ${index}`) : signs(signerA, `a ${index}`),
          ),
        );
        expect(results).toEqual(Array(24).fill(true));
      } finally {
        await signerA.close();
        await signerB.close();
      }
    } finally {
      dir.remove();
    }
  });
});
