import { AgentError } from '../errors';
import { type X509Certificate, x509 } from './x509';

/** Short human name of a certificate for messages: its subject and serial. */
export function describeCertificate(cert: X509Certificate): string {
  return `"${cert.subject}" (serial ${cert.serialNumber.toLowerCase()})`;
}

/**
 * Refuses certificates Roles Anywhere would refuse as a leaf, before any key is used:
 * a CA certificate, or one whose key usage does not allow digital signatures.
 */
export function assertUsableLeaf(cert: X509Certificate, what = 'certificate'): void {
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  if (constraints?.ca) {
    throw new AgentError(
      'CERT_IS_CA',
      `${what} ${describeCertificate(cert)} is a CA certificate, not an end-entity one`,
      {
        hint: 'give the device (leaf) certificate issued by your CA; put CA certificates in --intermediates',
      },
    );
  }
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  if (usage && (usage.usages & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw new AgentError(
      'CERT_NO_DIGITAL_SIGNATURE',
      `${what} ${describeCertificate(cert)} does not allow digitalSignature`,
      {
        hint: 'issue the certificate with keyUsage digitalSignature; Roles Anywhere refuses it otherwise',
      },
    );
  }
}
