import { webcrypto } from 'node:crypto';
import type { Digest } from '../signer/signer';
import { x509 } from '../x509/x509';
import type { CsrKey } from './csr-key';

type WebCrypto = typeof webcrypto;
type CryptoKey = webcrypto.CryptoKey;

const DIGESTS: Record<string, Digest> = { 'SHA-256': 'SHA256', 'SHA-384': 'SHA384', 'SHA-512': 'SHA512' };

function digestOf(algorithm: unknown): Digest {
  const hash = (algorithm as { hash?: string | { name?: string } }).hash;
  const name = typeof hash === 'string' ? hash : hash?.name;
  const digest = name ? DIGESTS[name.toUpperCase()] : undefined;
  if (!digest) throw new Error(`unsupported hash ${String(name)} for a token signature`);
  return digest;
}

export interface SignerCrypto {
  /** A WebCrypto provider whose subtle.sign goes to the key's own sign() and nowhere else. */
  crypto: WebCrypto;
  keys: { privateKey: CryptoKey; publicKey: CryptoKey };
  /** The signing algorithm to hand @peculiar/x509 (ECDSA or RSASSA-PKCS1-v1_5 with the hash). */
  signingAlgorithm: { name: string; hash: { name: string } };
}

/**
 * A CryptoKey-like pair and a WebCrypto provider backed by a CsrKey, so @peculiar/x509's
 * generators build the ASN.1 and the token only signs. The private "CryptoKey" holds nothing
 * but its algorithm; every other subtle call goes to node's WebCrypto with real keys.
 */
export async function signerCrypto(key: CsrKey, digest: Digest): Promise<SignerCrypto> {
  const hash = { name: digest.replace('SHA', 'SHA-') };
  const keyAlgorithm =
    key.keyType === 'ec'
      ? { name: 'ECDSA', namedCurve: key.curve as string }
      : { name: 'RSASSA-PKCS1-v1_5', hash };
  const publicKey = await webcrypto.subtle.importKey('spki', key.spki, keyAlgorithm, true, ['verify']);
  const privateKey = {
    type: 'private',
    extractable: false,
    algorithm: keyAlgorithm,
    usages: ['sign'],
  } as unknown as CryptoKey;
  const formatter = new x509.AsnEcSignatureFormatter();
  const subtle = new Proxy(webcrypto.subtle, {
    get(target, property) {
      if (property === 'sign') {
        return async (algorithm: unknown, signingKey: CryptoKey, data: ArrayBuffer | ArrayBufferView) => {
          if (signingKey !== privateKey) return target.sign(algorithm as never, signingKey, data);
          const bytes = ArrayBuffer.isView(data)
            ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
            : new Uint8Array(data);
          const der = await key.sign(bytes, digestOf(algorithm));
          if (key.keyType !== 'ec') return new Uint8Array(der).buffer;
          // WebCrypto ECDSA signatures are r || s; the token's Signer-style output is DER.
          const raw = formatter.toWebSignature({ ...keyAlgorithm, ...(algorithm as object) } as never, der);
          if (!raw) throw new Error('cannot convert the token ECDSA signature');
          return raw;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const crypto = {
    subtle,
    getRandomValues: webcrypto.getRandomValues.bind(webcrypto),
    randomUUID: webcrypto.randomUUID.bind(webcrypto),
  } as unknown as WebCrypto;
  return {
    crypto,
    keys: { privateKey, publicKey },
    signingAlgorithm: key.keyType === 'ec' ? { name: 'ECDSA', hash } : { name: 'RSASSA-PKCS1-v1_5', hash },
  };
}
