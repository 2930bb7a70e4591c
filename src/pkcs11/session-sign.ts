import pkcs11js from 'pkcs11js';
import type { Digest } from '../signer/signer';
import { call } from './error';
import { describeKey, type PrivateKeyObject } from './key';
import { ecdsaSignatureToDer, signingPlan } from './mechanism';
import type { TokenSession } from './token-session';

/** The raw mechanisms tried when a module does not list its mechanisms. */
const UNLISTED = new Set([pkcs11js.CKM_ECDSA, pkcs11js.CKM_RSA_PKCS]);

/**
 * One signature on the session of a key-management command (a CSR, a test challenge): hashes
 * `data` with `digest` and signs with the mechanism the Signer would use; DER ECDSA-Sig-Value
 * or RSA PKCS#1 v1.5. Not the signing hot path (see pkcs11-key.ts for that).
 */
export async function signOnSession(
  token: TokenSession,
  key: PrivateKeyObject,
  data: Uint8Array,
  digest: Digest,
): Promise<Uint8Array> {
  const plan = signingPlan(key.keyType, digest, token.mechanisms ?? UNLISTED);
  const context = `cannot sign with ${describeKey(key)} on ${token.description} (${plan.name})`;
  call('C_SignInit', context, () =>
    token.api.C_SignInit(token.session, { mechanism: plan.mechanism }, key.handle),
  );
  if (key.alwaysAuthenticate) await token.contextLogin();
  const raw = call('C_Sign', context, () =>
    token.api.C_Sign(token.session, plan.input(data), Buffer.alloc(1024)),
  );
  return key.keyType === 'ec' ? ecdsaSignatureToDer(raw) : new Uint8Array(raw);
}
