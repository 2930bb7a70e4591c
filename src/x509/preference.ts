import type { X509Certificate } from './x509';

function validAt(cert: X509Certificate, now: Date): boolean {
  return cert.notBefore <= now && now < cert.notAfter;
}

/**
 * Certificates in the order to try them as the leaf: those valid now before the others (one
 * imported ahead of its start date, or expired, would be refused by Roles Anywhere), and within
 * each group the one expiring last first, so a renewed certificate beside the old one wins.
 */
export function byLeafPreference(
  certificates: readonly X509Certificate[],
  now: Date = new Date(),
): X509Certificate[] {
  return [...certificates].sort(
    (a, b) =>
      Number(validAt(b, now)) - Number(validAt(a, now)) || b.notAfter.getTime() - a.notAfter.getTime(),
  );
}
