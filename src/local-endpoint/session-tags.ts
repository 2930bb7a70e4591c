import { type X509Certificate, x509 } from '../x509/x509';

/**
 * What Roles Anywhere's default attribute mapping makes of a certificate: principal tags
 * x509Subject/<RDN>, x509Issuer/<RDN>, x509SAN/DNS, x509SAN/URI and x509SAN/Name/<RDN>
 * (the first DNS name, URI and directory name of the SAN), the source identity and the
 * default role session name. RDNs that occur more than once are joined with '/' in
 * certificate order ("OU=Security, OU=Engineering" -> "Security/Engineering"), as the
 * IAM Roles Anywhere user guide (trust model, "Trust policy") describes.
 */

/** The RDNs mapped by default, by the short names @peculiar/x509 gives them. */
const MAPPED_RDNS = new Set(['C', 'CN', 'L', 'O', 'OU', 'ST']);

/** STS session tag limits: the service drops values that do not fit, it does not fail. */
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_TAG_VALUE_LENGTH = 256;

export interface CertificateSessionInfo {
  /** Tag key (e.g. "x509Subject/OU") -> value. Policies see them as aws:PrincipalTag/<key>. */
  tags: Record<string, string>;
  /** Tags left out because their value breaks the STS tag value rules. */
  droppedTags: string[];
  /** "CN=<cn>" (CN up to 61 characters), the CN itself (62..64), else "ID=<hex serial>". */
  sourceIdentity: string;
  /** Lower-case hex serial, left-padded to an even length: the default role session name. */
  serialHex: string;
}

/** Worked out once per certificate object: the endpoint asks for the same leaf on every call. */
const known = new WeakMap<X509Certificate, CertificateSessionInfo>();

export function sessionTagsFor(leaf: X509Certificate): CertificateSessionInfo {
  let info = known.get(leaf);
  if (!info) {
    info = computeSessionTags(leaf);
    known.set(leaf, info);
  }
  // A copy each time: sessions issued from it keep their own tags.
  return { ...info, tags: { ...info.tags }, droppedTags: [...info.droppedTags] };
}

function computeSessionTags(leaf: X509Certificate): CertificateSessionInfo {
  const entries: [string, string][] = [
    ...rdnTags('x509Subject', leaf.subjectName),
    ...rdnTags('x509Issuer', leaf.issuerName),
    ...sanTags(leaf),
  ];
  const tags: Record<string, string> = {};
  const droppedTags: string[] = [];
  for (const [key, value] of entries) {
    if (value.length <= MAX_TAG_VALUE_LENGTH && TAG_VALUE_PATTERN.test(value)) tags[key] = value;
    else droppedTags.push(key);
  }
  const serialHex = evenHex(leaf.serialNumber);
  return { tags, droppedTags, sourceIdentity: sourceIdentityFor(leaf.subjectName, serialHex), serialHex };
}

/** One tag per mapped RDN type, repeated values joined with '/'. */
function rdnTags(prefix: string, name: x509.Name): [string, string][] {
  const values = new Map<string, string[]>();
  for (const rdn of name.toJSON()) {
    for (const [type, list] of Object.entries(rdn)) {
      if (!MAPPED_RDNS.has(type)) continue;
      values.set(type, [...(values.get(type) ?? []), ...list]);
    }
  }
  return [...values].map(([type, list]) => [`${prefix}/${type}`, list.join('/')]);
}

function sanTags(leaf: X509Certificate): [string, string][] {
  let names: readonly x509.GeneralName[];
  try {
    names = leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  } catch {
    // A SAN with name forms the parser does not know (otherName, X.400) maps nothing.
    return [];
  }
  const tags: [string, string][] = [];
  const dns = names.find((name) => name.type === 'dns');
  if (dns) tags.push(['x509SAN/DNS', dns.value]);
  const uri = names.find((name) => name.type === 'url');
  if (uri) tags.push(['x509SAN/URI', uri.value]);
  const directory = names.find((name) => name.type === 'dn');
  if (directory) {
    try {
      tags.push(...rdnTags('x509SAN/Name', new x509.Name(directory.value)));
    } catch {
      // An unparsable directory name maps nothing, like an unmapped RDN.
    }
  }
  return tags;
}

function sourceIdentityFor(subject: x509.Name, serialHex: string): string {
  const cn = subject.getField('CN').join('/');
  if (cn && cn.length <= 61) return `CN=${cn}`;
  if (cn && cn.length <= 64) return cn;
  return `ID=${serialHex}`;
}

/** Hex without the DER sign byte, lower case, even length ("123" -> "0123"). */
export function evenHex(serialNumber: string): string {
  const hex = BigInt(`0x${serialNumber || '0'}`).toString(16);
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}
