import { type DerElement, isWellFormed, readChildren, readElement } from './der';

/**
 * What the leaf checks and request signing need of a certificate, read from its DER without the
 * full ASN.1 parse of @peculiar/x509 (a few milliseconds at every credential_process start).
 * Values are those @peculiar/x509 gives for the same certificate.
 */
export interface CertificateFields {
  /** As X509Certificate.serialNumber: lower-case hex of the INTEGER, without a sign byte. */
  serialNumber: string;
  /** The whole SubjectPublicKeyInfo (as X509Certificate.publicKey.rawData). */
  subjectPublicKeyInfo: Uint8Array;
  /** basicConstraints cA; false without the extension. */
  ca: boolean;
  /** keyUsage as KeyUsagesExtension.usages (KeyUsageFlags bits); undefined without the extension. */
  keyUsage: number | undefined;
}

const BOOLEAN = 0x01;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const SEQUENCE = 0x30;
const SET = 0x31;
const VERSION = 0xa0;
const ISSUER_UNIQUE_ID = 0x81;
const SUBJECT_UNIQUE_ID = 0x82;
const EXTENSIONS = 0xa3;

/** Contents of the OBJECT IDENTIFIERs 2.5.29.19 and 2.5.29.15. */
const BASIC_CONSTRAINTS = [0x55, 0x1d, 0x13];
const KEY_USAGE = [0x55, 0x1d, 0x0f];

/**
 * The fields of a DER certificate, or undefined when it is not shaped as RFC 5280 says: every
 * element well-formed, the fields of tbsCertificate in order and of their types, names made of
 * attribute SETs, two times of validity, an algorithm and a key. Then a full parser reads it and
 * says what is wrong. The contents of strings, times and keys are not checked here.
 */
export function readCertificateFields(der: Uint8Array): CertificateFields | undefined {
  const tbs = tbsFields(der);
  if (!tbs) return undefined;
  const version = tbs[0]?.tag === VERSION ? tbs[0] : undefined;
  if (version && !isVersion(der, version)) return undefined;
  const [serial, signature, issuer, validity, subject, spki, ...rest] = tbs.slice(version ? 1 : 0);
  if (serial?.tag !== INTEGER || serial.end === serial.start) return undefined;
  if (!isAlgorithm(der, signature) || !isName(der, issuer) || !isName(der, subject)) return undefined;
  if (!isValidity(der, validity) || !isPublicKeyInfo(der, spki)) return undefined;
  const extensions = optionalFields(der, rest);
  if (extensions === false) return undefined;
  let ca = false;
  let keyUsage: number | undefined;
  let seenBasicConstraints = false;
  let seenKeyUsage = false;
  for (const extension of extensions) {
    const [id, second, third, ...more] = readChildren(der, extension) ?? [];
    const value = third ?? second;
    if (!isOid(der, id) || value?.tag !== OCTET_STRING || more.length > 0) return undefined;
    if (third && (second?.tag !== BOOLEAN || second.end - second.start !== 1)) return undefined;
    // As getExtension(): the first extension of a type counts.
    if (!seenBasicConstraints && equals(der, id, BASIC_CONSTRAINTS)) {
      const read = readBasicConstraints(der, value);
      if (read === undefined) return undefined;
      ca = read;
      seenBasicConstraints = true;
    } else if (!seenKeyUsage && equals(der, id, KEY_USAGE)) {
      keyUsage = readKeyUsage(der, value);
      if (keyUsage === undefined) return undefined;
      seenKeyUsage = true;
    }
  }
  return {
    serialNumber: serialHex(der.subarray(serial.start, serial.end)),
    subjectPublicKeyInfo: der.subarray((spki as DerElement).offset, (spki as DerElement).end),
    ca,
    keyUsage,
  };
}

/** The fields of tbsCertificate, after checking Certificate ::= SEQUENCE { tbs, algorithm, signature }. */
function tbsFields(der: Uint8Array): DerElement[] | undefined {
  const certificate = readElement(der, 0);
  if (certificate?.tag !== SEQUENCE || certificate.end !== der.length) return undefined;
  if (!isWellFormed(der, certificate)) return undefined;
  const [tbs, algorithm, signature, ...more] = readChildren(der, certificate) ?? [];
  if (tbs?.tag !== SEQUENCE || !isAlgorithm(der, algorithm) || !isBitString(der, signature)) return undefined;
  if (more.length > 0) return undefined;
  return readChildren(der, tbs);
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
function isAlgorithm(der: Uint8Array, element: DerElement | undefined): boolean {
  if (element?.tag !== SEQUENCE) return false;
  const [algorithm, , ...more] = readChildren(der, element) ?? [];
  return isOid(der, algorithm) && more.length === 0;
}

/** Name ::= SEQUENCE OF SET OF SEQUENCE { type OBJECT IDENTIFIER, value ANY } */
function isName(der: Uint8Array, element: DerElement | undefined): boolean {
  if (element?.tag !== SEQUENCE) return false;
  return (readChildren(der, element) ?? []).every(
    (set) =>
      set.tag === SET &&
      (readChildren(der, set) ?? []).every((attribute) => {
        if (attribute.tag !== SEQUENCE) return false;
        const [type, value, ...more] = readChildren(der, attribute) ?? [];
        return isOid(der, type) && value !== undefined && more.length === 0;
      }),
  );
}

/** Validity ::= SEQUENCE { notBefore Time, notAfter Time } */
function isValidity(der: Uint8Array, element: DerElement | undefined): boolean {
  if (element?.tag !== SEQUENCE) return false;
  const times = readChildren(der, element) ?? [];
  return times.length === 2 && times.every((time) => time.tag === UTC_TIME || time.tag === GENERALIZED_TIME);
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING } */
function isPublicKeyInfo(der: Uint8Array, element: DerElement | undefined): boolean {
  if (element?.tag !== SEQUENCE) return false;
  const [algorithm, key, ...more] = readChildren(der, element) ?? [];
  return isAlgorithm(der, algorithm) && isBitString(der, key) && more.length === 0;
}

/** version [0] EXPLICIT INTEGER */
function isVersion(der: Uint8Array, element: DerElement): boolean {
  const [integer, ...more] = readChildren(der, element) ?? [];
  return integer?.tag === INTEGER && integer.end > integer.start && more.length === 0;
}

/** An OBJECT IDENTIFIER whose last byte ends its last arc. */
function isOid(der: Uint8Array, element: DerElement | undefined): element is DerElement {
  return (
    element?.tag === OID && element.end > element.start && ((der[element.end - 1] as number) & 0x80) === 0
  );
}

/** A BIT STRING with its count of unused bits (0 to 7). */
function isBitString(der: Uint8Array, element: DerElement | undefined): boolean {
  return element?.tag === BIT_STRING && element.end > element.start && (der[element.start] as number) <= 7;
}

/** issuerUniqueID, subjectUniqueID and extensions, each optional, in that order: the Extension elements, or false. */
function optionalFields(der: Uint8Array, rest: DerElement[]): DerElement[] | false {
  let next = 0;
  if (rest[next]?.tag === ISSUER_UNIQUE_ID) next++;
  if (rest[next]?.tag === SUBJECT_UNIQUE_ID) next++;
  const wrapper = rest[next];
  if (!wrapper) return [];
  if (wrapper.tag !== EXTENSIONS || next + 1 !== rest.length) return false;
  const [list, ...more] = readChildren(der, wrapper) ?? [];
  if (list?.tag !== SEQUENCE || more.length > 0) return false;
  const extensions = readChildren(der, list);
  if (!extensions || extensions.some((extension) => extension.tag !== SEQUENCE)) return false;
  return extensions;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
function readBasicConstraints(der: Uint8Array, value: DerElement): boolean | undefined {
  const sequence = readElement(der, value.start, value.end);
  if (sequence?.tag !== SEQUENCE || sequence.end !== value.end) return undefined;
  const children = readChildren(der, sequence);
  if (!children) return undefined;
  const [first, second, ...more] = children;
  if (more.length > 0 || (second && second.tag !== INTEGER)) return undefined;
  if (!first) return false;
  if (first.tag === INTEGER) return second ? undefined : false;
  if (first.tag !== BOOLEAN || first.end - first.start !== 1) return undefined;
  return der[first.start] !== 0;
}

/**
 * KeyUsage ::= BIT STRING, as a number the way @peculiar/asn1-schema's BitString.toNumber() makes
 * it: the first named bit (digitalSignature) is 1, the next 2, and so on; unused bits do not count.
 */
function readKeyUsage(der: Uint8Array, value: DerElement): number | undefined {
  const bits = readElement(der, value.start, value.end);
  if (bits?.tag !== BIT_STRING || bits.end !== value.end || bits.end === bits.start) return undefined;
  const unused = der[bits.start] as number;
  const octets = der.subarray(bits.start + 1, bits.end);
  // Nine bits are named; longer strings are for the full parser.
  if (unused > 7 || octets.length > 4 || (octets.length === 0 && unused !== 0)) return undefined;
  let usage = 0;
  const count = octets.length * 8 - unused;
  for (let bit = 0; bit < count; bit++) {
    if (((octets[bit >> 3] as number) >> (7 - (bit & 7))) & 1) usage += 2 ** bit;
  }
  return usage;
}

function equals(der: Uint8Array, element: DerElement, contents: readonly number[]): boolean {
  if (element.end - element.start !== contents.length) return false;
  return contents.every((byte, i) => der[element.start + i] === byte);
}

/** As @peculiar/x509's getCertificateSerialNumber: hex of the INTEGER without a leading sign byte. */
function serialHex(integer: Uint8Array): string {
  const bytes =
    integer.length > 1 && integer[0] === 0x00 && (integer[1] as number) > 0x7f
      ? integer.subarray(1)
      : integer;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
