import { readFileSync } from 'node:fs';
import { AgentError, describeError } from '../../errors';
import type { X509Certificate } from '../../x509/x509';

/**
 * aws_signing_helper's --cert-selector: which certificate to use, by subject, issuer and/or
 * serial. Subjects and issuers compare as exact strings in the Go helper's format (Go's
 * pkix.Name.String(), see goNameStrings); the serial compares as a number.
 */
export interface CertSelector {
  subject?: string;
  issuer?: string;
  serial?: bigint;
}

type SelectorKey = 'x509Subject' | 'x509Issuer' | 'x509Serial';
const KEYS: readonly SelectorKey[] = ['x509Subject', 'x509Issuer', 'x509Serial'];

const SYNTAX_HINT =
  'write Key=x509Subject,Value=CN=device,OU=Edge Key=x509Serial,Value=0A1B..., or a JSON array ' +
  '[{"Key":"x509Subject","Value":"CN=device,OU=Edge"}] in a file given as file://PATH';

function invalid(message: string, hint = SYNTAX_HINT): AgentError {
  return new AgentError('CERT_SELECTOR_INVALID', `invalid --cert-selector: ${message}`, { hint });
}

/**
 * Parses the flag as aws_signing_helper does: `file://PATH` names a JSON file holding
 * `[{"Key": ..., "Value": ...}]`; anything else is the `Key=K,Value=V Key=K2,Value=V2` form
 * (a value runs until whitespace followed by the next `Key=`, so it may hold spaces and
 * commas). Keys are x509Subject, x509Issuer, x509Serial (hex), each at most once. Beyond the
 * Go helper: the JSON array may also be given inline, and a serial may be written in
 * colon- or space-separated byte pairs as certificate viewers show it.
 */
export function parseCertSelector(
  value: string,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): CertSelector {
  if (value.startsWith('file://')) {
    const path = value.slice('file://'.length);
    let text: string;
    try {
      text = readFile(path);
    } catch (error) {
      throw new AgentError(
        'CERT_SELECTOR_INVALID',
        `cannot read the --cert-selector file ${path}: ${describeError(error)}`,
        { hint: 'give file://PATH of a readable JSON file (file:///etc/... for an absolute path)' },
      );
    }
    return toSelector(jsonEntries(text, `file ${path}`));
  }
  if (value.trimStart().startsWith('[')) return toSelector(jsonEntries(value, 'inline JSON'));
  return toSelector(keyValueEntries(value));
}

type Entry = [key: string, value: string];

/** Go's encoding/json into []struct{Key, Value string}: field names match case-insensitively. */
function jsonEntries(text: string, where: string): Entry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(`the ${where} is not JSON (${describeError(error)})`);
  }
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) throw invalid(`the ${where} is not a JSON array of {"Key", "Value"} objects`);
  return parsed.map((item, index): Entry => {
    if (item === null) return ['', ''];
    if (typeof item !== 'object' || Array.isArray(item)) {
      throw invalid(`entry ${index + 1} of the ${where} is not an object with "Key" and "Value"`);
    }
    const field = (name: string): string => {
      const record = item as Record<string, unknown>;
      const exact = Object.hasOwn(record, name)
        ? name
        : Object.keys(record).find((key) => key.toLowerCase() === name.toLowerCase());
      const found = exact === undefined ? undefined : record[exact];
      if (found === undefined || found === null) return '';
      if (typeof found !== 'string')
        throw invalid(`"${name}" of entry ${index + 1} of the ${where} is not a string`);
      return found;
    };
    return [field('Key'), field('Value')];
  });
}

// The Go helper's pattern, with its whitespace class and its `.` (anything but a newline).
const PAIR = /^[\t\n\f\r ]*Key=([^\n]+?),Value=([^\n]+?)[\t\n\f\r ]*(?:Key=|$)/;

function keyValueEntries(text: string): Entry[] {
  const entries: Entry[] = [];
  let rest = text;
  for (let match = PAIR.exec(rest); match; match = PAIR.exec(rest)) {
    entries.push([match[1] as string, match[2] as string]);
    // A match that stopped at the next "Key=" leaves it in place for the next round.
    const end = match[0].length === rest.length ? rest.length : match[0].length - 'Key='.length;
    rest = rest.slice(end);
  }
  if (rest.length > 0) {
    throw invalid(
      entries.length === 0
        ? `cannot read "${text}"`
        : `cannot read "${rest}" after the last Key=...,Value=...`,
    );
  }
  return entries;
}

function toSelector(entries: Entry[]): CertSelector {
  const seen = new Set<string>();
  const selector: CertSelector = {};
  for (const [key, value] of entries) {
    if (!KEYS.includes(key as SelectorKey)) {
      throw invalid(`unknown key "${key}"`, `keys are ${KEYS.join(', ')} (case matters)`);
    }
    if (seen.has(key)) throw invalid(`${key} is given twice`, 'give each key at most once');
    seen.add(key);
    // An empty value constrains nothing, as in the Go helper.
    if (value === '') continue;
    if (key === 'x509Subject') selector.subject = value;
    else if (key === 'x509Issuer') selector.issuer = value;
    else selector.serial = parseSerial(value);
  }
  return selector;
}

function parseSerial(value: string): bigint {
  const compact = /^[0-9a-f]{2}(?:[: ][0-9a-f]{2})+$/i.test(value) ? value.replace(/[: ]/g, '') : value;
  const match = /^([+-]?)([0-9a-f]+)$/i.exec(compact);
  if (!match) {
    throw invalid(
      `x509Serial "${value}" is not a hexadecimal number`,
      'write the serial in hex as openssl x509 -serial prints it (e.g. 15D19632234BF759A32802C0DA88F9E8AFC8702D)',
    );
  }
  const magnitude = BigInt(`0x${match[2]}`);
  return match[1] === '-' ? -magnitude : magnitude;
}

/** The certificate's subject and issuer as the Go helper prints them (see goNameStrings). */
export function goNames(cert: X509Certificate): { subject: string[]; issuer: string[] } {
  const names = certificateNames(cert);
  return { subject: goNameStrings(names.subject), issuer: goNameStrings(names.issuer) };
}

/** True when the certificate has every property the selector names. */
export function matchesCertSelector(selector: CertSelector, cert: X509Certificate): boolean {
  const names = goNames(cert);
  if (selector.subject !== undefined && !names.subject.includes(selector.subject)) return false;
  if (selector.issuer !== undefined && !names.issuer.includes(selector.issuer)) return false;
  if (selector.serial !== undefined && selector.serial !== BigInt(`0x${cert.serialNumber}`)) return false;
  return true;
}

/** `x509Subject "…", x509Issuer "…", x509Serial 0A1B…`: what a selector would name. */
export function describeForSelector(cert: X509Certificate): string {
  const names = goNames(cert);
  const serial = BigInt(`0x${cert.serialNumber}`).toString(16).toUpperCase();
  return `x509Subject "${names.subject[0]}", x509Issuer "${names.issuer[0]}", x509Serial ${serial}, expires ${cert.notAfter.toISOString()}`;
}

function describeSelector(selector: CertSelector): string {
  const parts = [
    ...(selector.subject !== undefined ? [`x509Subject "${selector.subject}"`] : []),
    ...(selector.issuer !== undefined ? [`x509Issuer "${selector.issuer}"`] : []),
    ...(selector.serial !== undefined ? [`x509Serial ${selector.serial.toString(16).toUpperCase()}`] : []),
  ];
  return parts.length > 0 ? `(${parts.join(', ')})` : '(which names nothing)';
}

/**
 * The fromPkcs11 certificate filter for a selector: keeps the certificates it matches, latest
 * expiry first. None: an error listing what the token has, in selector terms. Several: an
 * error unless `useLatestExpiring` (--use-latest-expiring-certificate), as in the Go helper.
 */
export function createCertificateFilter(
  selector: CertSelector,
  options: { useLatestExpiring: boolean },
): (certificates: X509Certificate[], keyDescription: string) => X509Certificate[] {
  return (certificates, keyDescription) => {
    const matching = certificates
      .filter((cert) => matchesCertSelector(selector, cert))
      .sort((a, b) => b.notAfter.getTime() - a.notAfter.getTime());
    const list = (certs: X509Certificate[]) =>
      certs.map((cert) => `{${describeForSelector(cert)}}`).join('; ');
    if (matching.length === 0) {
      throw new AgentError(
        'CERT_SELECTOR_NO_MATCH',
        `no certificate for ${keyDescription} matches --cert-selector ${describeSelector(selector)}; its certificates: ${list(certificates)}`,
        {
          hint: 'subjects and issuers compare exactly as aws_signing_helper prints them: most specific first, no space after commas (e.g. CN=device,OU=DataCenter-Northeast,O=Example); copy them from the list above',
        },
      );
    }
    if (matching.length > 1 && !options.useLatestExpiring) {
      throw new AgentError(
        'CERT_SELECTOR_AMBIGUOUS',
        `${matching.length} certificates for ${keyDescription} match --cert-selector ${describeSelector(selector)}: ${list(matching)}`,
        {
          hint: 'add --use-latest-expiring-certificate to use the one expiring last, or name one with x509Serial',
        },
      );
    }
    return matching;
  };
}

// --- Go's pkix.Name.String(), from the DER of the name -------------------------------------

interface Tlv {
  tag: number;
  value: Uint8Array;
  /** Offset just past this element. */
  end: number;
}

function readTlv(bytes: Uint8Array, offset: number): Tlv {
  const tag = bytes[offset];
  let length = bytes[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated DER');
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[start + i] ?? 0);
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new Error('truncated DER');
  return { tag, value: bytes.subarray(start, end), end };
}

function children(value: Uint8Array): Tlv[] {
  const items: Tlv[] = [];
  for (let offset = 0; offset < value.length; ) {
    const item = readTlv(value, offset);
    items.push(item);
    offset = item.end;
  }
  return items;
}

/** The DER of the issuer and subject Names, read from the certificate as it was signed. */
function certificateNames(cert: X509Certificate): { issuer: Uint8Array; subject: Uint8Array } {
  const der = new Uint8Array(cert.rawData);
  const certificate = readTlv(der, 0);
  const tbs = children(readTlv(certificate.value, 0).value);
  // [0] version is optional; then serial, signature algorithm, issuer, validity, subject.
  const fields = tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
  const issuer = fields[2];
  const subject = fields[4];
  if (!issuer || !subject) throw new Error('certificate without issuer or subject');
  return { issuer: encodeTlv(issuer.tag, issuer.value), subject: encodeTlv(subject.tag, subject.value) };
}

function decodeOid(bytes: Uint8Array): string {
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of bytes) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

/** The text of a directory string as Go's x509 parser gives it. */
function decodeString(tag: number, bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes);
  switch (tag) {
    case 0x1e: // BMPString: UTF-16 big endian
      return buffer.swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString: UTF-32 big endian
      let text = '';
      for (let i = 0; i + 4 <= buffer.length; i += 4) text += String.fromCodePoint(buffer.readUInt32BE(i));
      return text;
    }
    case 0x14: // T61String: Go keeps the raw bytes; Latin-1 is the closest text
      return buffer.toString('latin1');
    default: // UTF8String, PrintableString, IA5String, NumericString
      return buffer.toString('utf8');
  }
}

interface Atv {
  oid: string;
  value: string;
}

function readAtvs(nameDer: Uint8Array): Atv[] {
  const atvs: Atv[] = [];
  for (const rdn of children(readTlv(nameDer, 0).value)) {
    for (const atv of children(rdn.value)) {
      const [type, value] = children(atv.value);
      if (!type || !value) continue;
      atvs.push({ oid: decodeOid(type.value), value: decodeString(value.tag, value.value) });
    }
  }
  return atvs;
}

const TYPE_NAMES: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'POSTALCODE',
};

/** Go's pkix.Name.ToRDNSequence order; CN and SERIALNUMBER keep only their last value. */
const GO_ORDER = ['2.5.4.6', '2.5.4.8', '2.5.4.7', '2.5.4.9', '2.5.4.17', '2.5.4.10', '2.5.4.11'];

function escapeValue(value: string): string {
  const chars = [...value];
  return chars
    .map((char, index) => {
      const special =
        ',+"\\<>;'.includes(char) ||
        (char === ' ' && (index === 0 || index === chars.length - 1)) ||
        (char === '#' && index === 0);
      return special ? `\\${char}` : char;
    })
    .join('');
}

/** encoding/asn1's Marshal of a Go string: PrintableString when it can be, else UTF8String. */
function marshalGoString(value: string): Uint8Array {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
  return encodeTlv(printable ? 0x13 : 0x0c, Buffer.from(value, 'utf8'));
}

function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const length = value.length;
  const lengthBytes: number[] = [];
  if (length < 0x80) lengthBytes.push(length);
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    lengthBytes.push(0x80 | bytes.length, ...bytes);
  }
  return Uint8Array.from([tag, ...lengthBytes, ...value]);
}

/**
 * The name as aws_signing_helper compares it, Go's pkix.Name.String(): RDNs most specific
 * first, joined by "," with no space; known attributes regrouped in Go's fixed order (SERIALNUMBER,
 * CN, OU, O, POSTALCODE, STREET, L, ST, C; values of one type as one "+"-joined RDN, only the
 * last CN), other attributes after them as OID=value. Go releases render those other
 * attributes differently (OID=#<DER hex> up to Go 1.24, OID=<text> later), so a name with
 * any gets two strings, the #hex one first; either matches.
 */
export function goNameStrings(nameDer: Uint8Array): string[] {
  const atvs = readAtvs(nameDer);
  const known = (oid: string) => Object.hasOwn(TYPE_NAMES, oid);
  const others = atvs.filter((atv) => !known(atv.oid));
  const valuesOf = (oid: string) => atvs.filter((atv) => atv.oid === oid).map((atv) => atv.value);
  const groups: string[][] = [];
  for (const oid of GO_ORDER) {
    const values = valuesOf(oid);
    if (values.length > 0) groups.push(values.map((value) => `${TYPE_NAMES[oid]}=${escapeValue(value)}`));
  }
  for (const oid of ['2.5.4.3', '2.5.4.5']) {
    const last = valuesOf(oid).at(-1);
    if (last) groups.push([`${TYPE_NAMES[oid]}=${escapeValue(last)}`]);
  }
  const render = (other: (atv: Atv) => string) =>
    [...others.map((atv) => [other(atv)]), ...groups]
      .reverse()
      .map((rdn) => rdn.join('+'))
      .join(',');
  const hexForm = render((atv) => `${atv.oid}=#${Buffer.from(marshalGoString(atv.value)).toString('hex')}`);
  if (others.length === 0) return [hexForm];
  return [hexForm, render((atv) => `${atv.oid}=${escapeValue(atv.value)}`)];
}
