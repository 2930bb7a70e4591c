import { type X509Certificate, x509 } from './x509';

/** Roles Anywhere accepts at most this many intermediates in X-Amz-X509-Chain. */
export const MAX_INTERMEDIATES = 5;

function keyIdentifier(
  cert: X509Certificate,
  type: typeof x509.SubjectKeyIdentifierExtension | typeof x509.AuthorityKeyIdentifierExtension,
) {
  const extension = cert.getExtension(type as typeof x509.SubjectKeyIdentifierExtension);
  return extension?.keyId?.toLowerCase();
}

/** Whether `issuer` plausibly issued `cert`: names and (when both carry them) key identifiers agree. */
export function namesIssuer(issuer: X509Certificate, cert: X509Certificate): boolean {
  if (issuer.subject !== cert.issuer) return false;
  const authorityKeyId = keyIdentifier(cert, x509.AuthorityKeyIdentifierExtension);
  const subjectKeyId = keyIdentifier(issuer, x509.SubjectKeyIdentifierExtension);
  return !authorityKeyId || !subjectKeyId || authorityKeyId === subjectKeyId;
}

export async function isSelfIssued(cert: X509Certificate): Promise<boolean> {
  return cert.subject === cert.issuer && (await cert.isSelfSigned());
}

/**
 * The intermediates that take `leaf` towards its root, in order (the leaf's issuer first), picked
 * from `candidates` by name, key identifier and signature. Self-signed roots are left out: the
 * trust anchor is on the verifier's side. Unrelated certificates never enter the chain.
 */
export async function buildChain(
  leaf: X509Certificate,
  candidates: readonly X509Certificate[],
): Promise<X509Certificate[]> {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>([leaf.serialNumber + leaf.issuer]);
  let current = leaf;
  while (chain.length <= MAX_INTERMEDIATES) {
    const issuer = await findIssuer(current, candidates, seen);
    if (!issuer || (await isSelfIssued(issuer))) break;
    chain.push(issuer);
    seen.add(issuer.serialNumber + issuer.issuer);
    current = issuer;
  }
  return chain;
}

async function findIssuer(
  cert: X509Certificate,
  candidates: readonly X509Certificate[],
  seen: ReadonlySet<string>,
): Promise<X509Certificate | undefined> {
  for (const candidate of candidates) {
    if (seen.has(candidate.serialNumber + candidate.issuer) || !namesIssuer(candidate, cert)) continue;
    if (await cert.verify({ publicKey: candidate.publicKey, signatureOnly: true })) return candidate;
  }
  return undefined;
}
