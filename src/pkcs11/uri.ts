import { AgentError } from '../errors';

/** Object classes a `type=` attribute can name (RFC 7512 section 2.3). */
export type Pkcs11ObjectType = 'private' | 'public' | 'cert' | 'secret-key' | 'data';

/** A parsed RFC 7512 PKCS#11 URI. Every attribute is optional; absent means "any". */
export interface Pkcs11Uri {
  token?: string;
  manufacturer?: string;
  model?: string;
  serial?: string;
  slotId?: bigint;
  slotDescription?: string;
  slotManufacturer?: string;
  libraryManufacturer?: string;
  libraryDescription?: string;
  libraryVersion?: { major: number; minor: number };
  /** CKA_LABEL of the object. */
  object?: string;
  /** CKA_ID of the object (raw bytes). */
  id?: Uint8Array;
  type?: Pkcs11ObjectType;
  /** Secret: never print it. */
  pinValue?: string;
  pinSource?: string;
  modulePath?: string;
  moduleName?: string;
}

type Kind = 'text' | 'bytes' | 'slot-id' | 'version' | 'type';
interface AttributeSpec {
  key: keyof Pkcs11Uri;
  kind: Kind;
  secret?: boolean;
}

const PATH_ATTRIBUTES: Record<string, AttributeSpec> = {
  token: { key: 'token', kind: 'text' },
  manufacturer: { key: 'manufacturer', kind: 'text' },
  model: { key: 'model', kind: 'text' },
  serial: { key: 'serial', kind: 'text' },
  'slot-id': { key: 'slotId', kind: 'slot-id' },
  'slot-description': { key: 'slotDescription', kind: 'text' },
  'slot-manufacturer': { key: 'slotManufacturer', kind: 'text' },
  'library-manufacturer': { key: 'libraryManufacturer', kind: 'text' },
  'library-description': { key: 'libraryDescription', kind: 'text' },
  'library-version': { key: 'libraryVersion', kind: 'version' },
  object: { key: 'object', kind: 'text' },
  id: { key: 'id', kind: 'bytes' },
  type: { key: 'type', kind: 'type' },
};

const QUERY_ATTRIBUTES: Record<string, AttributeSpec> = {
  'pin-value': { key: 'pinValue', kind: 'text', secret: true },
  'pin-source': { key: 'pinSource', kind: 'text' },
  'module-path': { key: 'modulePath', kind: 'text' },
  'module-name': { key: 'moduleName', kind: 'text' },
};

const OBJECT_TYPES: readonly Pkcs11ObjectType[] = ['private', 'public', 'cert', 'secret-key', 'data'];

// Characters allowed unencoded (RFC 7512 ABNF: pk11-pchar and pk11-qchar).
const UNRESERVED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~';
const RES_AVAIL = ":[]@!$'()*+,=";
const PATH_CHARS = new Set(`${UNRESERVED}${RES_AVAIL}&`);
const QUERY_CHARS = new Set(`${UNRESERVED}${RES_AVAIL}/?|`);
const ATTRIBUTE_NAME = /^[a-z0-9_-]+$/i;
const SCHEME = 'pkcs11:';

export function isPkcs11Uri(text: string): boolean {
  return text.slice(0, SCHEME.length).toLowerCase() === SCHEME;
}

function invalid(message: string, hint: string): AgentError {
  return new AgentError('PKCS11_URI_INVALID', `invalid pkcs11 uri: ${message}`, { hint });
}

const PATH_HINT = `path attributes (separated by ";"): ${Object.keys(PATH_ATTRIBUTES).join(', ')}`;
const QUERY_HINT = `query attributes (after "?", separated by "&"): ${Object.keys(QUERY_ATTRIBUTES).join(', ')}`;

/** Percent-decodes one attribute value, refusing characters RFC 7512 says must be encoded. */
function decode(raw: string, allowed: ReadonlySet<string>, name: string, secret: boolean): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i] as string;
    if (char === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/i.test(hex)) {
        throw invalid(
          `attribute ${name} has a bad percent-encoding${secret ? '' : ` "%${hex}"`}`,
          'a "%" must be followed by two hex digits, e.g. %20 for a space or %25 for "%"',
        );
      }
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (allowed.has(char)) {
      bytes.push(char.charCodeAt(0));
    } else {
      const shown = secret ? 'a character' : `the character ${JSON.stringify(char)}`;
      throw invalid(
        `attribute ${name} contains ${shown} that must be percent-encoded`,
        'percent-encode it as UTF-8 bytes, e.g. %20 for a space, %2F for "/", %3B for ";"',
      );
    }
  }
  return Uint8Array.from(bytes);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function convert(spec: AttributeSpec, bytes: Uint8Array, name: string): Pkcs11Uri[keyof Pkcs11Uri] {
  if (spec.kind === 'bytes') return bytes;
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw invalid(
      `attribute ${name} is not valid UTF-8 once percent-decoded`,
      'percent-encode text attributes as UTF-8 bytes',
    );
  }
  switch (spec.kind) {
    case 'text':
      return text;
    case 'slot-id':
      if (!/^[0-9]{1,20}$/.test(text) || BigInt(text) > 0xffffffffffffffffn) {
        throw invalid(
          `attribute slot-id must be a decimal number, got "${text}"`,
          'write the slot id in decimal, e.g. slot-id=0',
        );
      }
      return BigInt(text);
    case 'version': {
      const match = /^([0-9]{1,3})(?:\.([0-9]{1,3}))?$/.exec(text);
      if (!match) {
        throw invalid(
          `attribute library-version must be "major" or "major.minor", got "${text}"`,
          'e.g. library-version=2.6',
        );
      }
      return { major: Number(match[1]), minor: Number(match[2] ?? 0) };
    }
    case 'type':
      if (!OBJECT_TYPES.includes(text as Pkcs11ObjectType)) {
        throw invalid(
          `attribute type must be one of ${OBJECT_TYPES.join(', ')}, got "${text}"`,
          'use type=private for a private key and type=cert for a certificate',
        );
      }
      return text as Pkcs11ObjectType;
  }
}

function parseAttributes(
  part: string,
  separator: string,
  specs: Record<string, AttributeSpec>,
  allowed: ReadonlySet<string>,
  where: 'path' | 'query',
  uri: Pkcs11Uri,
  seen: Set<string>,
): void {
  if (part === '') return;
  for (const item of part.split(separator)) {
    const equals = item.indexOf('=');
    const name = equals < 0 ? item : item.slice(0, equals);
    const hint = where === 'path' ? PATH_HINT : QUERY_HINT;
    if (item === '')
      throw invalid(
        `empty attribute in the ${where} (two "${separator}" in a row, or one at the end)`,
        `remove the extra "${separator}"`,
      );
    if (!ATTRIBUTE_NAME.test(name))
      throw invalid(`bad attribute name ${JSON.stringify(name)} in the ${where}`, hint);
    if (equals < 0) throw invalid(`attribute ${name} has no value (expected ${name}=...)`, hint);
    const spec = specs[name];
    if (!spec) {
      const other = where === 'path' ? QUERY_ATTRIBUTES[name] : PATH_ATTRIBUTES[name];
      const detail = other
        ? `attribute ${name} belongs in the ${where === 'path' ? 'query (after "?")' : 'path (before "?")'}`
        : name.toLowerCase().startsWith('x-')
          ? `vendor-specific attribute ${name} is not supported`
          : `unknown attribute ${name} in the ${where}`;
      throw invalid(detail, hint);
    }
    if (seen.has(name)) throw invalid(`attribute ${name} appears more than once`, `give ${name} once`);
    seen.add(name);
    const bytes = decode(item.slice(equals + 1), allowed, name, spec.secret === true);
    Object.assign(uri, { [spec.key]: convert(spec, bytes, name) });
  }
}

/**
 * Parses an RFC 7512 PKCS#11 URI strictly: unknown, duplicate or badly encoded attributes are
 * errors naming the attribute (never its value when it is a PIN).
 */
export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (!isPkcs11Uri(text)) {
    throw invalid(
      'it must start with "pkcs11:"',
      'e.g. pkcs11:token=my-token;object=my-key?pin-source=/etc/ra/pin',
    );
  }
  const rest = text.slice(SCHEME.length);
  const question = rest.indexOf('?');
  const path = question < 0 ? rest : rest.slice(0, question);
  const query = question < 0 ? '' : rest.slice(question + 1);
  const uri: Pkcs11Uri = {};
  const seen = new Set<string>();
  parseAttributes(path, ';', PATH_ATTRIBUTES, PATH_CHARS, 'path', uri, seen);
  parseAttributes(query, '&', QUERY_ATTRIBUTES, QUERY_CHARS, 'query', uri, seen);
  if (uri.pinValue !== undefined && uri.pinSource !== undefined) {
    throw invalid(
      'pin-value and pin-source are both given',
      'give the PIN one way: pin-source (a file) is safer than pin-value',
    );
  }
  if (uri.modulePath !== undefined && uri.modulePath === '') {
    throw invalid('attribute module-path is empty', 'give the full path of the PKCS#11 module (.so)');
  }
  return uri;
}

function encode(bytes: Uint8Array, allowed: ReadonlySet<string>): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out +=
      byte < 0x80 && allowed.has(char) && char !== '%'
        ? char
        : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

const UTF8_ENCODER = new TextEncoder();

function formatValue(spec: AttributeSpec, value: NonNullable<Pkcs11Uri[keyof Pkcs11Uri]>): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (spec.kind === 'version') {
    const version = value as { major: number; minor: number };
    return UTF8_ENCODER.encode(`${version.major}.${version.minor}`);
  }
  return UTF8_ENCODER.encode(String(value));
}

/**
 * Writes a URI back as text, percent-encoded. pin-value is left out unless `withPin` is set,
 * so the result is safe in messages and logs.
 */
export function formatPkcs11Uri(uri: Pkcs11Uri, options: { withPin?: boolean } = {}): string {
  const part = (specs: Record<string, AttributeSpec>, allowed: ReadonlySet<string>, separator: string) =>
    Object.entries(specs)
      .filter(([, spec]) => uri[spec.key] !== undefined && (!spec.secret || options.withPin))
      .map(
        ([name, spec]) =>
          `${name}=${encode(formatValue(spec, uri[spec.key] as NonNullable<Pkcs11Uri[keyof Pkcs11Uri]>), allowed)}`,
      )
      .join(separator);
  const path = part(PATH_ATTRIBUTES, PATH_CHARS, ';');
  const query = part(QUERY_ATTRIBUTES, QUERY_CHARS, '&');
  return `${SCHEME}${path}${query ? `?${query}` : ''}`;
}
