import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Version } from '@peculiar/asn1-x509';
import { AgentError } from '../errors';
import { serialToHex } from '../x509/serial';
import { type X509Certificate, x509 } from '../x509/x509';
import { memoByCertificate } from './certificate-memo';

const STRONG_HASHES = ['SHA-256', 'SHA-384', 'SHA-512'];

/** Subject and serial, to say which certificate failed. */
export function describeCert(cert: X509Certificate): string {
  return `"${cert.subject}" (serial ${serialToHex(cert)})`;
}

export const isVersion3: (cert: X509Certificate) => boolean = memoByCertificate(
  (cert) => AsnConvert.parse(cert.rawData, Certificate).tbsCertificate.version === Version.v3,
);

export function isCa(cert: X509Certificate): boolean {
  return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

/** True when a keyUsage extension is present and grants `flag`. */
export function hasKeyUsage(cert: X509Certificate, flag: x509.KeyUsageFlags): boolean {
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  return usage !== null && (usage.usages & flag) !== 0;
}

/** The certificate is signed with SHA-256 or a stronger hash (not SHA-1, not MD5, not unknown). */
export function hasStrongSignature(cert: X509Certificate): boolean {
  try {
    const algorithm = cert.signatureAlgorithm as { hash?: { name?: string } };
    return STRONG_HASHES.includes(algorithm.hash?.name ?? '');
  } catch {
    return false;
  }
}

export function assertStrongSignature(cert: X509Certificate, what: string): void {
  if (!hasStrongSignature(cert)) {
    throw new AgentError(
      'CERT_WEAK_SIGNATURE_ALGORITHM',
      `${what} ${describeCert(cert)} is not signed with SHA-256 or stronger`,
      {
        hint: 'reissue the certificate with a SHA-256, SHA-384 or SHA-512 signature',
      },
    );
  }
}

export function assertValidAt(cert: X509Certificate, now: Date, what: string): void {
  if (now.getTime() < cert.notBefore.getTime()) {
    throw new AgentError(
      'CERT_NOT_YET_VALID',
      `${what} ${describeCert(cert)} is not valid before ${cert.notBefore.toISOString()}`,
      {
        hint: 'check the clock of this host and the notBefore date of the certificate',
      },
    );
  }
  if (now.getTime() > cert.notAfter.getTime()) {
    throw new AgentError(
      'CERT_EXPIRED',
      `${what} ${describeCert(cert)} expired at ${cert.notAfter.toISOString()}`,
      {
        hint: 'renew the certificate',
      },
    );
  }
}

/**
 * What Roles Anywhere demands of the end-entity certificate: X.509 v3, not a CA,
 * keyUsage digitalSignature, a SHA-256-or-stronger signature, a subject, and `now`
 * within its validity. A leaf without basicConstraints counts as not a CA (RFC 5280).
 */
export function assertAcceptableLeaf(leaf: X509Certificate, now: Date): void {
  if (!isVersion3(leaf)) {
    throw new AgentError('LEAF_NOT_V3', `leaf certificate ${describeCert(leaf)} is not X.509 version 3`, {
      hint: 'issue the leaf as a v3 certificate with basicConstraints and keyUsage extensions',
    });
  }
  if (isCa(leaf)) {
    throw new AgentError('LEAF_IS_CA', `leaf certificate ${describeCert(leaf)} is a CA certificate`, {
      hint: 'sign with an end-entity certificate (basicConstraints CA:FALSE), not a CA',
    });
  }
  if (!hasKeyUsage(leaf, x509.KeyUsageFlags.digitalSignature)) {
    throw new AgentError(
      'LEAF_NO_DIGITAL_SIGNATURE',
      `leaf certificate ${describeCert(leaf)} lacks keyUsage digitalSignature`,
      {
        hint: 'issue the leaf with keyUsage = digitalSignature',
      },
    );
  }
  if (leaf.subject.trim() === '') {
    throw new AgentError(
      'LEAF_SUBJECT_EMPTY',
      `leaf certificate (serial ${serialToHex(leaf)}) has an empty subject`,
      {
        hint: 'issue the leaf with a subject name (at least a CN)',
      },
    );
  }
  assertStrongSignature(leaf, 'leaf certificate');
  assertValidAt(leaf, now, 'leaf certificate');
}
