import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import pkcs11js from 'pkcs11js';
import type { X509Certificate } from '../x509/x509';
import type { Template } from './objects';

/** CKA_CERTIFICATE_CATEGORY values (PKCS#11 2.40 section 4.6.2). */
export const CATEGORY_TOKEN_USER = 1;
export const CATEGORY_AUTHORITY = 2;

/** DER of the certificate's subject, issuer and serial INTEGER, as CKA_SUBJECT/ISSUER/SERIAL_NUMBER want them. */
export function certificateNames(cert: X509Certificate): { subject: Buffer; issuer: Buffer; serial: Buffer } {
  const parsed = AsnConvert.parse(cert.rawData, Certificate);
  const tbs = parsed.tbsCertificate;
  const serial = new asn1js.Integer({ valueHex: new Uint8Array(tbs.serialNumber) }).toBER(false);
  return {
    subject: Buffer.from(AsnConvert.serialize(tbs.subject)),
    issuer: Buffer.from(AsnConvert.serialize(tbs.issuer)),
    serial: Buffer.from(serial),
  };
}

/**
 * A CKO_CERTIFICATE / CKC_X_509 token object for `cert`, public (readable without login), with
 * `category`; `fallback` is the same without CKA_CERTIFICATE_CATEGORY for tokens that refuse it.
 */
export function certificateTemplate(
  cert: X509Certificate,
  naming: { label: string; id: Uint8Array },
  category: number,
): { template: Template; fallback: Template } {
  const names = certificateNames(cert);
  const fallback: Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_LABEL, value: Buffer.from(naming.label, 'utf8') },
    ...(naming.id.length > 0 ? [{ type: pkcs11js.CKA_ID, value: Buffer.from(naming.id) }] : []),
    { type: pkcs11js.CKA_SUBJECT, value: names.subject },
    { type: pkcs11js.CKA_ISSUER, value: names.issuer },
    { type: pkcs11js.CKA_SERIAL_NUMBER, value: names.serial },
    { type: pkcs11js.CKA_VALUE, value: Buffer.from(cert.rawData) },
  ];
  return {
    template: [...fallback, { type: pkcs11js.CKA_CERTIFICATE_CATEGORY, value: category }],
    fallback,
  };
}
