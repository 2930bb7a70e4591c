import { createPublicKey, type KeyObject } from 'node:crypto';
import { AgentError } from '../errors';
import { fieldsOf, type LazyCertificate } from '../x509/lazy-certificate';
import type { X509Certificate } from '../x509/x509';

const SUPPORTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/** Refuses, naming the file, a key Roles Anywhere cannot use: anything but RSA and EC P-256/384/521. */
export function assertSupportedKey(key: KeyObject, label: string): void {
  const type = key.asymmetricKeyType ?? 'unknown';
  if (type === 'rsa') return;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    if (SUPPORTED_CURVES.has(curve)) return;
    throw new AgentError(
      'KEY_UNSUPPORTED',
      `${label} is an EC key on curve ${curve}, which IAM Roles Anywhere does not accept`,
      {
        hint: 'use an EC key on P-256, P-384 or P-521, or an RSA key',
      },
    );
  }
  throw new AgentError(
    'KEY_UNSUPPORTED',
    `${label} is an ${type} key, which IAM Roles Anywhere does not accept`,
    {
      hint: 'use an RSA key or an EC key on P-256, P-384 or P-521 (Ed25519, Ed448 and DSA keys cannot sign for Roles Anywhere)',
    },
  );
}

/** The SubjectPublicKeyInfo DER of a key, as Node encodes it, so both sides compare byte for byte. */
function spki(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

/** Whether `privateKey` is the private half of the certificate's public key. */
export function keyMatchesCertificate(
  privateKey: KeyObject,
  certificate: X509Certificate | LazyCertificate,
): boolean {
  const certificateSpki = Buffer.from(fieldsOf(certificate).subjectPublicKeyInfo);
  const keySpki = spki(privateKey);
  // Node writes what it reads the same way: equal bytes need no second encoding.
  if (keySpki.equals(certificateSpki)) return true;
  let normalized: Buffer = certificateSpki;
  try {
    normalized = spki(createPublicKey({ key: certificateSpki, format: 'der', type: 'spki' }));
  } catch {
    // A key type Node cannot read: compare the certificate's own encoding.
  }
  return keySpki.equals(normalized);
}
