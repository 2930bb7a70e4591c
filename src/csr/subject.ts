import { AgentError } from '../errors';
import { x509 } from '../x509/x509';

/** Attribute names accepted in --subject, with their OIDs and upper bounds (RFC 5280 appendix A). */
type Encoding = 'directory' | 'printable' | 'ia5';
const ATTRIBUTES: Record<string, { oid: string; max: number; encoding?: Encoding }> = {
  CN: { oid: '2.5.4.3', max: 64 },
  OU: { oid: '2.5.4.11', max: 64 },
  O: { oid: '2.5.4.10', max: 64 },
  L: { oid: '2.5.4.7', max: 128 },
  ST: { oid: '2.5.4.8', max: 128 },
  C: { oid: '2.5.4.6', max: 2, encoding: 'printable' },
  STREET: { oid: '2.5.4.9', max: 128 },
  SERIALNUMBER: { oid: '2.5.4.5', max: 64, encoding: 'printable' },
  TITLE: { oid: '2.5.4.12', max: 64 },
  GIVENNAME: { oid: '2.5.4.42', max: 64 },
  SURNAME: { oid: '2.5.4.4', max: 64 },
  DC: { oid: '0.9.2342.19200300.100.1.25', max: 63, encoding: 'ia5' },
  UID: { oid: '0.9.2342.19200300.100.1.1', max: 256 },
  EMAILADDRESS: { oid: '1.2.840.113549.1.9.1', max: 255, encoding: 'ia5' },
};
const ALIASES: Record<string, string> = { E: 'EMAILADDRESS', S: 'ST', SN: 'SURNAME', G: 'GIVENNAME' };

export interface SubjectAttribute {
  /** Upper-case short name (CN, OU...) or a dotted OID as written. */
  name: string;
  oid: string;
  value: string;
  /** The ASN.1 string type: PrintableString when the value allows it (directory), else UTF8String. */
  encoding: Encoding;
}

/** RDNs in the order written (most specific first, as RFC 4514 writes them); each RDN one or more attributes. */
export type ParsedSubject = SubjectAttribute[][];

function invalid(message: string): AgentError {
  return new AgentError('SUBJECT_INVALID', `invalid --subject: ${message}`, {
    hint: 'write it as RFC 4514 does, most specific first, e.g. "CN=device-1,OU=DataCenter-Northeast,O=Example Corp,C=US"; escape "," "+" "\\" "=" inside values with "\\"',
  });
}

/** Splits at unescaped `separator`, keeping escapes for the next stage. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '\\') {
      current += char + (text[i + 1] ?? '');
      i++;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

const SPECIALS = new Set([',', '+', '"', '\\', '<', '>', ';', '=', '#', ' ']);

/** Resolves RFC 4514 escapes (\, \+ \\ ... and \XX hex pairs, UTF-8); `part` names the input in errors. */
function unescapeValue(raw: string, part: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i] as string;
    if (char !== '\\') {
      bytes.push(...Buffer.from(char, 'utf8'));
      continue;
    }
    const next = raw[i + 1];
    if (next === undefined) throw invalid(`"${part}" ends with a lone "\\"`);
    if (SPECIALS.has(next)) {
      bytes.push(next.charCodeAt(0));
      i++;
      continue;
    }
    const pair = raw.slice(i + 1, i + 3);
    if (!/^[0-9a-f]{2}$/i.test(pair)) {
      throw invalid(
        `"${part}" has a bad escape "\\${next}" (escape one of , + " \\ < > ; = # or give two hex digits)`,
      );
    }
    bytes.push(Number.parseInt(pair, 16));
    i += 2;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    throw invalid(`"${part}" has hex escapes that are not UTF-8`);
  }
}

/** Trims unescaped white space at both ends ("\\ " at the end is an escaped space and stays). */
function trimValue(text: string): string {
  let end = text.length;
  while (end > 0 && /\s/.test(text[end - 1] as string)) {
    let slashes = 0;
    for (let i = end - 2; i >= 0 && text[i] === '\\'; i--) slashes++;
    if (slashes % 2 === 1) break;
    end--;
  }
  return text.slice(0, end).trimStart();
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function parseAttribute(raw: string): SubjectAttribute {
  const part = trimValue(raw);
  const at = part.indexOf('=');
  if (at < 0) throw invalid(`"${part}" has no "=" (expected NAME=value)`);
  const typeText = part.slice(0, at).trim();
  const valueText = trimValue(part.slice(at + 1));
  const upper = typeText.toUpperCase();
  const name = ALIASES[upper] ?? upper;
  const known = ATTRIBUTES[name];
  const isOid = /^\d+(\.\d+)+$/.test(typeText);
  if (typeText === '') throw invalid(`"${part}" has no attribute name before "="`);
  if (!known && !isOid) {
    throw invalid(
      `unknown attribute "${typeText}" in "${part}" (use ${Object.keys(ATTRIBUTES).join(', ')} or a dotted OID)`,
    );
  }
  if (valueText.startsWith('#')) throw invalid(`"${part}": hex-encoded (#...) values are not supported`);
  if (/(^|[^\\])"/.test(valueText)) {
    throw invalid(`"${part}" has an unescaped '"' (escape it as \\")`);
  }
  const value = unescapeValue(valueText, part);
  if (value.trim() === '') throw invalid(`"${part}" has an empty value`);
  if (name === 'C' && !/^[A-Za-z]{2}$/.test(value)) {
    throw invalid(`"${part}": C must be a two-letter country code such as US or DE`);
  }
  const max = known?.max ?? 256;
  if ([...value].length > max) {
    throw invalid(`"${part}": ${name} may be at most ${max} characters, this one has ${[...value].length}`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid(`"${part}" has a control character`);
  const encoding = known?.encoding ?? 'directory';
  if (encoding === 'printable' && !PRINTABLE.test(value)) {
    throw invalid(`"${part}": ${name} allows only letters, digits, spaces and '()+,-./:=?`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: IA5String is 7-bit ASCII.
  if (encoding === 'ia5' && !/^[\u0000-\u007f]*$/.test(value)) {
    throw invalid(`"${part}": ${name} must be plain ASCII`);
  }
  if (name === 'EMAILADDRESS' && !/^[^\s@]+@[^\s@]+$/.test(value)) {
    throw invalid(`"${part}" is not an e-mail address`);
  }
  return {
    name: isOid ? typeText : name,
    oid: known?.oid ?? typeText,
    value: name === 'C' ? value.toUpperCase() : value,
    encoding,
  };
}

/**
 * Parses an RFC 4514 distinguished name as users write it ("CN=...,OU=...,O=..."); every
 * error names the part that is wrong. Multi-valued RDNs are joined with "+".
 */
export function parseSubject(text: string): ParsedSubject {
  if (text.trim() === '') throw invalid('it is empty (Roles Anywhere needs a non-empty subject)');
  return splitUnescaped(text, ',').map((rdn, index) => {
    if (rdn.trim() === '') {
      throw invalid(`part ${index + 1} is empty (two "," in a row, or one at the start or end)`);
    }
    return splitUnescaped(rdn, '+').map((attribute) => {
      if (attribute.trim() === '') throw invalid(`"${rdn.trim()}" has an empty part around "+"`);
      return parseAttribute(attribute);
    });
  });
}

/**
 * The X.509 Name for a subject: RDNs in DER order, which is the reverse of the written order
 * (RFC 4514 section 2.1), so "CN=d,O=Example" becomes O=Example first, then CN=d.
 */
export function subjectName(subject: ParsedSubject): InstanceType<typeof x509.Name> {
  const json = [...subject].reverse().map((rdn) => {
    const entry: Record<string, x509.JsonAttributeObject[]> = {};
    for (const attribute of rdn) {
      const values = entry[attribute.oid] ?? [];
      values.push(stringValue(attribute));
      entry[attribute.oid] = values;
    }
    return entry;
  });
  return new x509.Name(json);
}

/** The typed value, so @peculiar/x509 neither re-parses escapes nor guesses the string type. */
function stringValue(attribute: SubjectAttribute): x509.JsonAttributeObject {
  if (attribute.encoding === 'ia5') return { ia5String: attribute.value };
  if (attribute.encoding === 'printable' || PRINTABLE.test(attribute.value)) {
    return { printableString: attribute.value };
  }
  return { utf8String: attribute.value };
}

/** The subject as RFC 4514 writes it, from the parsed form (for messages and checks). */
export function formatSubject(subject: ParsedSubject): string {
  const escapeValue = (value: string) =>
    value.replace(/[,+"\\<>;=]/g, (char) => `\\${char}`).replace(/^([ #])|( )$/g, (char) => `\\${char}`);
  return subject
    .map((rdn) => rdn.map((attribute) => `${attribute.name}=${escapeValue(attribute.value)}`).join('+'))
    .join(',');
}
