import { AgentError } from '../errors';
import type { X509Certificate, x509 } from '../x509/x509';
import { describeCert } from './certificate-checks';

/**
 * Throws CERT_REVOKED when a certificate of the path is listed in a CRL issued by the
 * certificate above it. Only CRLs whose signature verifies with that issuer's key count:
 * a CRL under the same name from another key revokes nothing. `path` runs leaf first,
 * trust anchor last. CRL dates are not checked: Roles Anywhere uses imported CRLs as given.
 */
export async function assertNotRevoked(
  path: readonly X509Certificate[],
  crls: readonly x509.X509Crl[],
): Promise<void> {
  for (let i = 0; i + 1 < path.length; i++) {
    const cert = path[i] as X509Certificate;
    const issuer = path[i + 1] as X509Certificate;
    for (const crl of crls) {
      if (crl.issuer !== issuer.subject || !crl.findRevoked(cert)) continue;
      if (!(await verifiedBy(crl, issuer))) continue;
      throw new AgentError(
        'CERT_REVOKED',
        `${i === 0 ? 'leaf certificate' : 'intermediate'} ${describeCert(cert)} is revoked by the CRL of "${issuer.subject}"`,
        {
          hint: 'issue a new certificate; a revoked one cannot be used again',
        },
      );
    }
  }
}

async function verifiedBy(crl: x509.X509Crl, issuer: X509Certificate): Promise<boolean> {
  try {
    return await crl.verify({ publicKey: issuer });
  } catch {
    return false;
  }
}
