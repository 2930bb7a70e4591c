import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import { AgentError } from '../errors';
import { curveOfKey } from '../pkcs11/public-key';
import type { Digest, EcCurve, KeyType } from '../signer/signer';

/**
 * What a CSR needs of a key: its public half and signatures. A key on a token (see
 * fromPkcs11Key in the csr command) or a key file; no certificate, since there is none yet.
 */
export interface CsrKey {
  readonly keyType: KeyType;
  readonly curve?: EcCurve;
  readonly modulusBits?: number;
  /** SubjectPublicKeyInfo DER of the public half. */
  readonly spki: Uint8Array;
  /** For messages: which key. */
  readonly description: string;
  /** Hashes `data` with `digest` and signs: DER ECDSA-Sig-Value or RSA PKCS#1 v1.5, like a Signer. */
  sign(data: Uint8Array, digest: Digest): Promise<Uint8Array>;
}

const HASH: Record<Digest, string> = { SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };

/** The CsrKey of an EC or RSA public key object and a signing function. */
export function csrKeyFrom(
  publicKey: KeyObject,
  description: string,
  signWith: (data: Uint8Array, digest: Digest) => Promise<Uint8Array>,
): CsrKey {
  const type = publicKey.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa') {
    throw new AgentError(
      'KEY_UNSUPPORTED',
      `${description} is a ${String(type)} key; a CSR needs an EC or RSA key`,
      {
        hint: 'IAM Roles Anywhere accepts RSA and EC (P-256, P-384, P-521) keys',
      },
    );
  }
  const curve = type === 'ec' ? curveOfKey(publicKey) : undefined;
  if (type === 'ec' && !curve) {
    throw new AgentError(
      'KEY_UNSUPPORTED',
      `${description} is on an EC curve other than P-256, P-384, P-521`,
      {
        hint: 'use an EC key on P-256, P-384 or P-521, or an RSA key',
      },
    );
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength;
  return {
    keyType: type,
    ...(curve ? { curve } : {}),
    ...(type === 'rsa' && bits ? { modulusBits: bits } : {}),
    spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    description,
    sign: signWith,
  };
}

/** A CsrKey over a private key held in this process (a key file). */
export function csrKeyFromKeyObject(privateKey: KeyObject, description: string): CsrKey {
  return csrKeyFrom(
    createPublicKey(privateKey),
    description,
    async (data, digest) => new Uint8Array(sign(HASH[digest], data, { key: privateKey, dsaEncoding: 'der' })),
  );
}
