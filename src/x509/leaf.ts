import { AgentError } from '../errors';
import { fieldsOf, type LazyCertificate, parsedCertificate } from './lazy-certificate';
import type { X509Certificate } from './x509';

/** x509.KeyUsageFlags.digitalSignature, the first bit of keyUsage. */
const DIGITAL_SIGNATURE = 1;

/** Short human name of a certificate for messages: its subject and serial. */
export function describeCertificate(cert: X509Certificate | LazyCertificate): string {
  const parsed = parsedCertificate(cert);
  return `"${parsed.subject}" (serial ${parsed.serialNumber.toLowerCase()})`;
}

/**
 * Refuses certificates Roles Anywhere would refuse as a leaf, before any key is used:
 * a CA certificate, or one whose key usage does not allow digital signatures.
 */
export function assertUsableLeaf(cert: X509Certificate | LazyCertificate, what = 'certificate'): void {
  const { ca, keyUsage } = fieldsOf(cert);
  if (ca) {
    throw new AgentError(
      'CERT_IS_CA',
      `${what} ${describeCertificate(cert)} is a CA certificate, not an end-entity one`,
      {
        hint: 'give the device (leaf) certificate issued by your CA; put CA certificates in --intermediates',
      },
    );
  }
  if (keyUsage !== undefined && (keyUsage & DIGITAL_SIGNATURE) === 0) {
    throw new AgentError(
      'CERT_NO_DIGITAL_SIGNATURE',
      `${what} ${describeCertificate(cert)} does not allow digitalSignature`,
      {
        hint: 'issue the certificate with keyUsage digitalSignature; Roles Anywhere refuses it otherwise',
      },
    );
  }
}
