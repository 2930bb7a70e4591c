/** The parts of a request that signing and routing look at; EndpointRequest has them all. */
export interface RequestParts {
  method: string;
  /** Path as sent, still percent-encoded. */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
}

/** A header's value; repeated headers joined with ',' as SigV4 canonicalises them. */
export function headerValue(headers: RequestParts['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

/** A query parameter's first value (names are case-sensitive, as AWS treats them). */
export function queryValue(query: RequestParts['query'], name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value[0] : value;
}

export function hasQuery(query: RequestParts['query'], name: string): boolean {
  return Object.hasOwn(query, name);
}

/**
 * Splits a raw query string without treating '+' as a space: SigV4 clients percent-encode spaces,
 * and a literal '+' must stay '+' for the canonical query to match theirs.
 */
export function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  if (raw === '') return query;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = safeDecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : safeDecode(pair.slice(eq + 1));
    const previous = query[name];
    if (previous === undefined) query[name] = value;
    else query[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return query;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
