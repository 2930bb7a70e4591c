import { X509Certificate as NodeCertificate, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPkcs11 } from '../../src/signer/from-pkcs11';
import type { Signer } from '../../src/signer/signer';
import { createRootCa, issueLeaf, type TestLeaf } from '../helpers/pki';
import { createSoftHsmToken, importKey, removeSoftHsmTokens, type SoftHsmToken } from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('ra-pkcs11-loss-');
let token: SoftHsmToken;
let device: TestLeaf;
let stranger: TestLeaf;

beforeAll(() => {
  token = createSoftHsmToken(tmp.path, 'ra-loss');
  const root = createRootCa(tmp.path, 'Loss Root CA');
  device = issueLeaf(tmp.path, root, { name: 'device' });
  stranger = issueLeaf(tmp.path, root, { name: 'stranger' });
  importKey(token, device.keyPath, '01', 'device');
});

afterAll(() => tmp.remove());

async function signs(signer: Signer, text: string): Promise<boolean> {
  const data = new TextEncoder().encode(text);
  const signature = await signer.sign(data);
  const publicKey = new NodeCertificate(Buffer.from(signer.certificate.rawData)).publicKey;
  return verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
}

/** Re-creates the token (new slot, new serial) the way an admin restores it from a backup. */
function recreateToken(keyPath: string): void {
  createSoftHsmToken(tmp.path, 'ra-loss');
  importKey(token, keyPath, '01', 'device');
}

describe('a token that goes away', () => {
  it('fails with TOKEN_UNAVAILABLE while it is gone, and signs again once it is back', async () => {
    const signer = await fromPkcs11({
      uri: 'pkcs11:token=ra-loss;id=%01?pin-value=1234',
      module: token.module,
      certificate: device.certPath,
      sessions: 4,
    });
    try {
      expect(await signs(signer, 'before')).toBe(true);

      removeSoftHsmTokens(token);
      // Many requests at once while it is gone: each fails cleanly, none crashes the process.
      const failures = await Promise.allSettled(
        Array.from({ length: 16 }, (_, index) => signs(signer, `gone ${index}`)),
      );
      for (const failure of failures) {
        expect(failure.status).toBe('rejected');
        expect((failure as PromiseRejectedResult).reason).toMatchObject({
          code: 'TOKEN_UNAVAILABLE',
          message: expect.stringMatching(
            /^token "ra-loss" \(serial [0-9a-f]+\) is unavailable: the sessions were lost and one reconnect failed$/,
          ),
          hint: expect.stringContaining('plugged in'),
        });
      }

      recreateToken(device.keyPath);
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, index) => signs(signer, `back ${index}`)),
      );
      expect(results).toEqual(Array(16).fill(true));
    } finally {
      await signer.close();
    }
  });

  it('refuses to sign with a different key that came back under the same id (KEY_CERT_MISMATCH)', async () => {
    const signer = await fromPkcs11({
      uri: 'pkcs11:token=ra-loss;id=%01?pin-value=1234',
      module: token.module,
      certificate: device.certPath,
    });
    try {
      expect(await signs(signer, 'before')).toBe(true);
      removeSoftHsmTokens(token);
      recreateToken(stranger.keyPath);
      await expect(signs(signer, 'after')).rejects.toMatchObject({ code: 'KEY_CERT_MISMATCH' });
    } finally {
      await signer.close();
    }
  });
});
