import { readFileSync } from 'node:fs';
import { AgentError, describeError } from '../errors';
import { notACertificate } from './certificate-error';
import { type LazyCertificate, lazyCertificate } from './lazy-certificate';
import { type X509Certificate, x509 } from './x509';

/** True when `source` is PEM text rather than a path. */
export function isPemText(source: string): boolean {
  return source.includes('-----BEGIN ');
}

/** Reads a file that a user named, with an error that says which file and why. */
export function readUserFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : describeError(error);
    throw new AgentError('FILE_UNREADABLE', `cannot read ${what} ${path}: ${reason}`, {
      hint: code === 'EACCES' ? `check the permissions of ${path}` : `check the path given for the ${what}`,
      cause: error,
    });
  }
}

/**
 * Certificates from a file path or PEM text: a PEM bundle (any number of certificates) or one
 * DER certificate. `what` names the input in errors ("certificate", "intermediates").
 */
export function loadCertificates(source: string | Uint8Array, what = 'certificate'): X509Certificate[] {
  const label = typeof source === 'string' && !isPemText(source) ? `${what} ${source}` : what;
  const bytes =
    typeof source === 'string'
      ? isPemText(source)
        ? Buffer.from(source)
        : readUserFile(source, what)
      : source;
  const text = Buffer.from(bytes).toString('latin1');
  try {
    if (text.includes('-----BEGIN ')) {
      const blocks = x509.PemConverter.decodeWithHeaders(text).filter(
        (block) => block.type === 'CERTIFICATE',
      );
      if (blocks.length === 0) throw new Error('no CERTIFICATE block');
      return blocks.map((block) => new x509.X509Certificate(block.rawData));
    }
    return [new x509.X509Certificate(new Uint8Array(bytes))];
  } catch (error) {
    throw notACertificate(label, error);
  }
}

const PEM_BLOCK = /-----BEGIN ([^-\r\n]+)-----([^-]*)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The certificates of a file's bytes, as loadCertificates gives them, but as LazyCertificates:
 * when every one reads cleanly (PEM of CERTIFICATE blocks only, without headers, or one DER
 * certificate). Otherwise undefined, and loadCertificates gives the certificates or the error.
 */
export function loadLazyCertificates(bytes: Uint8Array, label: string): LazyCertificate[] | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  if (!text.includes('-----BEGIN ')) {
    const certificate = lazyCertificate(bytes, label);
    return certificate && [certificate];
  }
  const certificates: LazyCertificate[] = [];
  for (const [, type, body = ''] of text.matchAll(PEM_BLOCK)) {
    const base64 = body.replace(/\s+/g, '');
    if (type !== 'CERTIFICATE' || base64.length % 4 !== 0 || !BASE64.test(base64)) return undefined;
    const certificate = lazyCertificate(new Uint8Array(Buffer.from(base64, 'base64')), label);
    if (!certificate) return undefined;
    certificates.push(certificate);
  }
  // Every block read, none left half-matched.
  const blocks = text.split('-----BEGIN ').length - 1;
  return certificates.length > 0 && certificates.length === blocks ? certificates : undefined;
}

/** Exactly one certificate: the leaf. */
export function loadCertificate(source: string | Uint8Array, what = 'certificate'): X509Certificate {
  const [first, ...rest] = loadCertificates(source, what);
  if (!first || rest.length > 0) {
    throw new AgentError(
      'CERT_INVALID',
      `${what} must hold exactly one certificate, found ${rest.length + 1}`,
      {
        hint: 'put the leaf certificate in --certificate and the CA certificates in --intermediates',
      },
    );
  }
  return first;
}
