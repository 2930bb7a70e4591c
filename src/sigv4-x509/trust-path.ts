import { AgentError } from '../errors';
import { type X509Certificate, x509 } from '../x509/x509';
import {
  assertStrongSignature,
  assertValidAt,
  describeCert,
  hasKeyUsage,
  isCa,
  isVersion3,
} from './certificate-checks';
import { memoByCertificatePair } from './certificate-memo';

export interface TrustPath {
  /** Intermediates actually used, the leaf's issuer first (a subset of what the client sent). */
  intermediates: X509Certificate[];
  anchor: X509Certificate;
}

/**
 * Builds the path leaf → intermediates → trust anchor, verifying each signature with the
 * next certificate's key. At every step a trust anchor that signed the current certificate
 * wins over an intermediate, so a client that also sends the root is fine. Intermediates
 * must be v3 CAs with keyCertSign, SHA-256-or-stronger signed and valid at `now`; the anchor
 * must be a CA with keyCertSign and valid at `now`; pathLenConstraint is honoured.
 */
export async function buildTrustPath(
  leaf: X509Certificate,
  sent: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  now: Date,
): Promise<TrustPath> {
  const unused = [...sent];
  const intermediates: X509Certificate[] = [];
  let current = leaf;
  for (;;) {
    const anchor = await findIssuer(current, anchors);
    if (anchor) {
      if (!isCa(anchor) || !hasKeyUsage(anchor, x509.KeyUsageFlags.keyCertSign)) {
        throw new AgentError(
          'TRUST_ANCHOR_NOT_CA',
          `trust anchor ${describeCert(anchor)} is not a CA with keyCertSign`,
          {
            hint: 'configure the issuing CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign) as trust anchor',
          },
        );
      }
      assertValidAt(anchor, now, 'trust anchor');
      assertPathLength([...intermediates, anchor]);
      return { intermediates, anchor };
    }
    const issuer = await findIssuer(current, unused);
    if (!issuer) {
      throw new AgentError(
        'CERT_UNTRUSTED',
        `no trust anchor issued ${describeCert(current)} (issuer "${current.issuer}")`,
        {
          hint: 'send the intermediates in X-Amz-X509-Chain and check that the trust anchor is the CA that issued them',
        },
      );
    }
    unused.splice(unused.indexOf(issuer), 1);
    if (!isVersion3(issuer) || !isCa(issuer) || !hasKeyUsage(issuer, x509.KeyUsageFlags.keyCertSign)) {
      throw new AgentError(
        'CHAIN_INTERMEDIATE_NOT_CA',
        `intermediate ${describeCert(issuer)} is not a CA with keyCertSign`,
        {
          hint: 'X-Amz-X509-Chain may only carry CA certificates (basicConstraints CA:TRUE, keyUsage keyCertSign)',
        },
      );
    }
    assertStrongSignature(issuer, 'intermediate');
    assertValidAt(issuer, now, 'intermediate');
    intermediates.push(issuer);
    current = issuer;
  }
}

/** The first candidate whose subject names `cert`'s issuer and whose key verifies `cert`'s signature. */
async function findIssuer(
  cert: X509Certificate,
  candidates: readonly X509Certificate[],
): Promise<X509Certificate | undefined> {
  for (const candidate of candidates) {
    if (candidate.subject !== cert.issuer || candidate === cert) continue;
    if (await signedBy(cert, candidate)) return candidate;
  }
  return undefined;
}

/** Whether `issuer`'s key verifies `cert`'s signature; known from then on for these two certificates. */
const signedBy = memoByCertificatePair(async (cert, issuer) => {
  try {
    return await cert.verify({ publicKey: issuer, signatureOnly: true });
  } catch {
    return false;
  }
});

/** `cas` are the issuers from the leaf's upward; the one at index i has i intermediates below it. */
function assertPathLength(cas: readonly X509Certificate[]): void {
  cas.forEach((ca, below) => {
    const limit = ca.getExtension(x509.BasicConstraintsExtension)?.pathLength;
    if (limit !== undefined && below > limit) {
      throw new AgentError(
        'CHAIN_PATH_LENGTH_EXCEEDED',
        `${describeCert(ca)} allows ${limit} intermediates below it, the path has ${below}`,
        {
          hint: 'issue the leaf from a CA whose pathLenConstraint allows this depth',
        },
      );
    }
  });
}
