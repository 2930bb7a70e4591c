import { describe, expect, it } from 'vitest';
import { byLeafPreference } from '../../../src/x509/preference';
import { type X509Certificate, x509 } from '../../../src/x509/x509';

const NOW = new Date('2026-06-01T00:00:00Z');

async function certificate(name: string, notBefore: string, notAfter: string): Promise<X509Certificate> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  return x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
}

describe('byLeafPreference', () => {
  it('puts certificates valid now first, each group by latest expiry', async () => {
    const old = await certificate('old', '2026-01-01T00:00:00Z', '2026-07-01T00:00:00Z');
    const renewed = await certificate('renewed', '2026-05-01T00:00:00Z', '2027-05-01T00:00:00Z');
    const early = await certificate('not-yet-valid', '2026-09-01T00:00:00Z', '2028-01-01T00:00:00Z');
    const expired = await certificate('expired', '2025-01-01T00:00:00Z', '2026-02-01T00:00:00Z');
    const names = byLeafPreference([expired, old, early, renewed], NOW).map((cert) => cert.subject);
    expect(names).toEqual(['CN=renewed', 'CN=old', 'CN=not-yet-valid', 'CN=expired']);
  });
});
