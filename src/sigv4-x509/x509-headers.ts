import { fromBER } from 'asn1js';
import { AgentError, describeError } from '../errors';
import { type X509Certificate, x509 } from '../x509/x509';

/** Roles Anywhere accepts at most this many intermediates in X-Amz-X509-Chain. */
export const MAX_CHAIN_CERTIFICATES = 5;

/**
 * Leaves decoded lately, by header value: a client sends the same one on every call, and what
 * follows from it alone is then worked out once (see memoByCertificate). Chain entries are
 * decoded afresh: the path builder tells certificates apart by object.
 */
const MAX_REMEMBERED = 256;
const decodedLeaves = new Map<string, X509Certificate>();

/** The leaf certificate from an X-Amz-X509 value (base64 of DER). Throws CERT_BASE64_INVALID or CERT_DER_INVALID. */
export function decodeLeafHeader(value: string): X509Certificate {
  const known = decodedLeaves.get(value);
  if (known) {
    // Most recently used last: the first entry is the one to forget.
    decodedLeaves.delete(value);
    decodedLeaves.set(value, known);
    return known;
  }
  const leaf = decodeCertificate(value, 'X-Amz-X509', 'CERT');
  if (decodedLeaves.size >= MAX_REMEMBERED) decodedLeaves.delete(decodedLeaves.keys().next().value as string);
  decodedLeaves.set(value, leaf);
  return leaf;
}

/**
 * The intermediates from an X-Amz-X509-Chain value: comma-separated base64 DER, the leaf's
 * issuer first. An empty value is an empty chain. More than five is CHAIN_TOO_LONG, checked
 * before anything is decoded.
 */
export function decodeChainHeader(value: string | undefined): X509Certificate[] {
  if (value === undefined || value.trim() === '') return [];
  const parts = value.split(',');
  if (parts.length > MAX_CHAIN_CERTIFICATES) {
    throw new AgentError(
      'CHAIN_TOO_LONG',
      `X-Amz-X509-Chain carries ${parts.length} certificates, more than ${MAX_CHAIN_CERTIFICATES}`,
      {
        hint: 'send only the intermediates between the leaf and the trust anchor (at most 5)',
      },
    );
  }
  return parts.map((part, i) => decodeCertificate(part.trim(), `X-Amz-X509-Chain entry ${i + 1}`, 'CHAIN'));
}

function decodeCertificate(text: string, what: string, prefix: 'CERT' | 'CHAIN'): X509Certificate {
  // Buffer.from(..., 'base64') skips junk silently: insist on canonical base64.
  if (text === '' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new AgentError(`${prefix}_BASE64_INVALID`, `${what} is not base64`, {
      hint: 'send the DER certificate encoded as standard base64 without line breaks',
    });
  }
  const der = Buffer.from(text, 'base64');
  let cert: X509Certificate;
  try {
    cert = new x509.X509Certificate(new Uint8Array(der));
  } catch (error) {
    throw new AgentError(
      `${prefix}_DER_INVALID`,
      `${what} is not a DER X.509 certificate (${describeError(error)})`,
      {
        hint: 'send the certificate in DER, not PEM, before base64-encoding it',
        cause: error,
      },
    );
  }
  // The parser stops at the end of the certificate; anything after it is not one DER value.
  if (fromBER(new Uint8Array(der)).offset !== der.length) {
    throw new AgentError(`${prefix}_DER_INVALID`, `${what} has bytes after the certificate`, {
      hint: 'send exactly one DER certificate per entry',
    });
  }
  return cert;
}
