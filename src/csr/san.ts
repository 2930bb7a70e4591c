import { isIP } from 'node:net';
import { AgentError } from '../errors';
import { x509 } from '../x509/x509';

export interface SanEntry {
  type: 'dns' | 'uri' | 'email' | 'ip';
  value: string;
}

function invalid(message: string): AgentError {
  return new AgentError('SAN_INVALID', `invalid --san: ${message}`, {
    hint: 'give comma-separated TYPE:VALUE entries, e.g. "dns:device-1.example.com,uri:spiffe://example.com/device-1"; types: dns, uri, email, ip; escape a "," inside a value as "\\,"',
  });
}

/** Splits at unescaped commas; "\," stands for a comma inside a value. */
function splitEntries(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '\\' && text[i + 1] === ',') {
      current += ',';
      i++;
    } else if (char === ',') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

function validDnsName(name: string): boolean {
  if (name.length > 253) return false;
  const labels = (name.startsWith('*.') ? name.slice(2) : name).split('.');
  return labels.length > 0 && labels.every((label) => DNS_LABEL.test(label));
}

function parseEntry(raw: string): SanEntry {
  const entry = raw.trim();
  if (entry === '') throw invalid('an entry is empty (two "," in a row, or one at the start or end)');
  const colon = entry.indexOf(':');
  if (colon < 0) throw invalid(`"${entry}" has no type (expected TYPE:VALUE, e.g. dns:${entry})`);
  const type = entry.slice(0, colon).trim().toLowerCase();
  const value = entry.slice(colon + 1).trim();
  if (value === '') throw invalid(`"${entry}" has an empty value`);
  switch (type) {
    case 'dns':
      if (!validDnsName(value)) throw invalid(`"${entry}": "${value}" is not a DNS name`);
      return { type, value: value.toLowerCase() };
    case 'uri': {
      let url: URL | undefined;
      try {
        url = new URL(value);
      } catch {
        url = undefined;
      }
      if (!url || !/^[a-z][a-z0-9+.-]*:/i.test(value) || /\s/.test(value)) {
        throw invalid(
          `"${entry}": "${value}" is not an absolute URI (scheme:..., e.g. spiffe://example.com/device)`,
        );
      }
      return { type, value };
    }
    case 'email':
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) || /[^\u0020-\u007e]/.test(value)) {
        throw invalid(`"${entry}": "${value}" is not an e-mail address`);
      }
      return { type, value };
    case 'ip':
      if (isIP(value) === 0) throw invalid(`"${entry}": "${value}" is not an IPv4 or IPv6 address`);
      return { type, value };
    default:
      throw invalid(`unknown type "${type}" in "${entry}" (use dns, uri, email or ip)`);
  }
}

/** Parses `--san dns:NAME,uri:URI,email:ADDR,ip:ADDR`; every error names the entry that is wrong. */
export function parseSan(text: string): SanEntry[] {
  if (text.trim() === '') throw invalid('it is empty');
  return splitEntries(text).map(parseEntry);
}

/** The subjectAltName extension for the entries (not critical: the subject is not empty). */
export function sanExtension(
  entries: readonly SanEntry[],
): InstanceType<typeof x509.SubjectAlternativeNameExtension> {
  return new x509.SubjectAlternativeNameExtension(
    entries.map((entry) => ({ type: entry.type === 'uri' ? 'url' : entry.type, value: entry.value })),
  );
}
