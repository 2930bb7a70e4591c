import { AgentError, isAgentError } from '../errors';
import { openPkcs11Key, type Pkcs11Key, readPkcs11Certificates } from '../pkcs11/pkcs11-key';
import { isPkcs11Uri } from '../pkcs11/uri';
import { buildChain } from '../x509/chain';
import { assertUsableLeaf, describeCertificate } from '../x509/leaf';
import { loadCertificate, loadCertificates } from '../x509/load';
import { byLeafPreference } from '../x509/preference';
import { type X509Certificate, x509 } from '../x509/x509';
import { algorithmFor, type Signer } from './signer';

export interface FromPkcs11Options {
  /** pkcs11: URI (RFC 7512) of the private key. */
  uri: string;
  /** Leaf certificate: a file path, PEM text or a pkcs11: URI. Default: the token's certificate with the key's id (else label). */
  certificate?: string;
  /** Intermediate CA certificates: a file path or PEM text. Token certificates are candidates too. */
  intermediates?: string;
  /** PKCS#11 module path (--pkcs11-lib) when the URI has no module-path. */
  module?: string;
  /** User PIN when the URI has neither pin-value nor pin-source (else RA_PKCS11_PIN, else a prompt on a TTY). */
  pin?: string;
  /** Sessions in the token's pool, shared by every signer on the token (default 4). */
  sessions?: number;
  /** Ask for the PIN on the terminal when nothing else gives it (default: when on a TTY). */
  prompt?: boolean;
  /**
   * Narrows the token's certificates for the key (--cert-selector): called with those that
   * match the key, latest expiry first, and the key's description; returns the allowed ones
   * (the first is used) or throws to refuse. Not applied to a certificate given as a file.
   */
  certificateFilter?: (certificates: X509Certificate[], keyDescription: string) => X509Certificate[];
}

function parseAll(ders: readonly Uint8Array[]): X509Certificate[] {
  const certificates: X509Certificate[] = [];
  for (const der of ders) {
    try {
      certificates.push(new x509.X509Certificate(der));
    } catch {
      // A malformed object on the token is not a chain candidate.
    }
  }
  return certificates;
}

async function matchesKey(key: Pkcs11Key, candidate: X509Certificate): Promise<boolean> {
  try {
    await key.assertMatches(new Uint8Array(candidate.publicKey.rawData), describeCertificate(candidate));
    return true;
  } catch (error) {
    if (isAgentError(error) && error.code === 'KEY_CERT_MISMATCH') return false;
    throw error;
  }
}

/** Of several certificates for the key, the one it matches: valid now, latest expiry first (after the filter, if any). */
async function pickLeaf(
  key: Pkcs11Key,
  candidates: X509Certificate[],
  source: string,
  filter: FromPkcs11Options['certificateFilter'],
): Promise<X509Certificate> {
  if (candidates.length === 0) {
    throw new AgentError('PKCS11_CERT_NOT_FOUND', `no certificate for ${key.description} (${source})`, {
      hint: 'store the certificate on the token with the same id as the key, or give it with --certificate',
    });
  }
  const ordered = byLeafPreference(candidates);
  if (ordered.length === 1 && !filter) return ordered[0] as X509Certificate;
  const matching: X509Certificate[] = [];
  for (const candidate of ordered) {
    if (!(await matchesKey(key, candidate))) continue;
    // Without a filter the first match is the answer; a filter needs to see them all.
    if (!filter) return candidate;
    matching.push(candidate);
  }
  if (matching.length === 0) {
    throw new AgentError(
      'KEY_CERT_MISMATCH',
      `none of the ${ordered.length} certificates for ${key.description} matches the key (${source})`,
      {
        hint: 'give the certificate issued for this key with --certificate',
      },
    );
  }
  const chosen = (filter as NonNullable<typeof filter>)(matching, key.description)[0];
  if (!chosen) {
    throw new AgentError('PKCS11_CERT_NOT_FOUND', `no certificate for ${key.description} passes the filter`, {
      hint: 'check the certificate selection options',
    });
  }
  return chosen;
}

async function leafFor(key: Pkcs11Key, options: FromPkcs11Options): Promise<X509Certificate> {
  const { certificate } = options;
  const filter = options.certificateFilter;
  if (certificate === undefined)
    return pickLeaf(
      key,
      parseAll(key.certificatesForKey()),
      'none on the token with its id or label',
      filter,
    );
  if (isPkcs11Uri(certificate)) {
    return pickLeaf(
      key,
      parseAll(readPkcs11Certificates(certificate, options.module ? { module: options.module } : {})),
      'from the certificate URI',
      filter,
    );
  }
  return loadCertificate(certificate, 'certificate');
}

/**
 * A Signer whose private key stays on a PKCS#11 token. The certificate comes from
 * `certificate` or the token; it must be a usable leaf and match the key; the chain is built
 * from the token's certificates and `intermediates`, never including unrelated ones.
 */
export async function fromPkcs11(options: FromPkcs11Options): Promise<Signer> {
  const key = await openPkcs11Key({
    uri: options.uri,
    ...(options.module !== undefined ? { module: options.module } : {}),
    ...(options.pin !== undefined ? { pin: options.pin } : {}),
    ...(options.sessions !== undefined ? { sessions: options.sessions } : {}),
    ...(options.prompt !== undefined ? { prompt: options.prompt } : {}),
  });
  // The leaf and its chain, read again by reloadCertificate when a renewed certificate is imported.
  const identity = async () => {
    const certificate = await leafFor(key, options);
    assertUsableLeaf(certificate);
    await key.assertMatches(new Uint8Array(certificate.publicKey.rawData), describeCertificate(certificate));
    const candidates = [
      ...parseAll(key.allCertificates()),
      ...(options.intermediates ? loadCertificates(options.intermediates, 'intermediates') : []),
    ];
    return { certificate, chain: await buildChain(certificate, candidates) };
  };
  try {
    let current = await identity();
    const fromToken = options.certificate === undefined || isPkcs11Uri(options.certificate);
    return {
      keyType: key.keyType,
      ...(key.curve ? { curve: key.curve } : {}),
      ...(key.modulusBits ? { modulusBits: key.modulusBits } : {}),
      algorithm: algorithmFor(key.keyType),
      get certificate() {
        return current.certificate;
      },
      get chain() {
        return current.chain;
      },
      sign: (data, digest) => key.sign(data, digest),
      ...(fromToken
        ? {
            async reloadCertificate() {
              const next = await identity();
              const changed = !Buffer.from(next.certificate.rawData).equals(
                Buffer.from(current.certificate.rawData),
              );
              current = next;
              return changed;
            },
          }
        : {}),
      close: () => key.close(),
    };
  } catch (error) {
    await key.close();
    throw error;
  }
}
