import type { QueryBag } from './request';
import { uriEscape } from './uri-escape';

/**
 * The canonical query string: every name and value RFC 3986-encoded, pairs sorted by
 * encoded name then encoded value (character code order), joined with "&". A parameter
 * without a value (null) is "name=".
 */
export function createCanonicalQuery(query: QueryBag | undefined): string {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    const values = value === null ? [''] : typeof value === 'string' ? [value] : value;
    for (const one of values) pairs.push([uriEscape(name), uriEscape(one)]);
  }
  pairs.sort(([an, av], [bn, bv]) => compare(an, bn) || compare(av, bv));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/**
 * Parses a raw query string (what follows "?" on the wire) into a QueryBag, decoding
 * percent escapes; a name given twice collects its values in an array. A server uses it
 * to rebuild the query the client signed.
 */
export function parseQueryString(raw: string): QueryBag {
  const query: Record<string, string | string[]> = {};
  for (const part of raw.replace(/^\?/, '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const previous = query[name];
    if (previous === undefined) query[name] = value;
    else query[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return query;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A lone "%" cannot be decoded; keep the text so the signature check decides.
    return text;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
