import { notACertificate } from './certificate-error';
import { type CertificateFields, readCertificateFields } from './certificate-fields';
import { type X509Certificate, x509 } from './x509';

/**
 * A certificate read from a file: its structure checked and the few fields a signer needs read
 * from the DER (readCertificateFields). The @peculiar/x509 object, whose ASN.1 parse was the slow
 * part of a credential_process start, is made only when something asks for it (chain building,
 * messages, the agent).
 */
export interface LazyCertificate {
  readonly der: Uint8Array;
  readonly fields: CertificateFields;
  /** The @peculiar/x509 certificate, parsed on the first call. */
  parsed(): X509Certificate;
}

/**
 * A LazyCertificate over `der`, or undefined when readCertificateFields cannot read it: then the
 * full parser (loadCertificates) is the one to report what is wrong. `label` names the input in
 * the CERT_INVALID error of a later parse, worded as loadCertificates words it.
 */
export function lazyCertificate(der: Uint8Array, label: string): LazyCertificate | undefined {
  const fields = readCertificateFields(der);
  if (!fields) return undefined;
  let certificate: X509Certificate | undefined;
  return {
    der,
    fields,
    parsed() {
      if (!certificate) {
        try {
          certificate = new x509.X509Certificate(der);
        } catch (error) {
          throw notACertificate(label, error);
        }
      }
      return certificate;
    },
  };
}

export function isLazyCertificate(value: X509Certificate | LazyCertificate): value is LazyCertificate {
  return typeof (value as LazyCertificate).parsed === 'function';
}

/** The fields a signer needs, of either kind: read from the DER, or from the parsed certificate. */
export function fieldsOf(value: X509Certificate | LazyCertificate): CertificateFields {
  if (isLazyCertificate(value)) return value.fields;
  return {
    serialNumber: value.serialNumber,
    subjectPublicKeyInfo: new Uint8Array(value.publicKey.rawData),
    ca: value.getExtension(x509.BasicConstraintsExtension)?.ca === true,
    keyUsage: value.getExtension(x509.KeyUsagesExtension)?.usages,
  };
}

/** The @peculiar/x509 certificate of either kind. */
export function parsedCertificate(value: X509Certificate | LazyCertificate): X509Certificate {
  return isLazyCertificate(value) ? value.parsed() : value;
}
