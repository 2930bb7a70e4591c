import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { AgentError } from '../errors';
import { isLazyCertificate, type LazyCertificate } from '../x509/lazy-certificate';
import type { X509Certificate } from '../x509/x509';
import { algorithmFor, type Digest, type EcCurve, type Signer } from './signer';

const CURVES: Record<string, EcCurve> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/**
 * A Signer over a private key held in this process (a key file). Key/certificate matching
 * is the caller's job: this only signs. A LazyCertificate is parsed only if `certificate` is
 * read: signing a request takes `leaf`.
 */
export function fromKeyObject(
  privateKey: KeyObject,
  certificate: X509Certificate | LazyCertificate,
  chain: readonly X509Certificate[],
): Signer {
  const details = privateKey.asymmetricKeyDetails ?? {};
  const type = privateKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') {
    throw new AgentError('KEY_UNSUPPORTED', `unsupported private key type ${type ?? 'unknown'}`, {
      hint: 'IAM Roles Anywhere accepts RSA and EC (P-256, P-384, P-521) keys',
    });
  }
  const curve = type === 'ec' ? CURVES[details.namedCurve ?? ''] : undefined;
  if (type === 'ec' && !curve) {
    throw new AgentError('KEY_UNSUPPORTED', `unsupported EC curve ${details.namedCurve ?? 'unknown'}`, {
      hint: 'use an EC key on P-256, P-384 or P-521',
    });
  }
  return {
    keyType: type,
    ...(curve ? { curve } : {}),
    ...(type === 'rsa' ? { modulusBits: details.modulusLength } : {}),
    algorithm: algorithmFor(type),
    get certificate() {
      return isLazyCertificate(certificate) ? certificate.parsed() : certificate;
    },
    leaf: isLazyCertificate(certificate)
      ? { der: certificate.der, serialNumber: certificate.fields.serialNumber }
      : { der: new Uint8Array(certificate.rawData), serialNumber: certificate.serialNumber },
    chain,
    async sign(data: Uint8Array, digest: Digest = 'SHA256') {
      // dsaEncoding 'der' gives the ECDSA-Sig-Value Roles Anywhere expects; RSA defaults to PKCS#1 v1.5.
      return new Uint8Array(
        cryptoSign(digest.replace('SHA', 'sha'), data, { key: privateKey, dsaEncoding: 'der' }),
      );
    },
    async close() {},
  };
}
