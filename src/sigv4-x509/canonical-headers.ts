import { AgentError } from '../errors';
import type { ReceivedHeaders } from './request';

/** Headers a SigV4-X509 signer never signs: proxies and tracers change them on the way. */
export const UNSIGNED_HEADERS: readonly string[] = ['authorization', 'user-agent', 'x-amzn-trace-id'];

/**
 * A header value as SigV4 canonicalizes it (the AWS SDK for JavaScript's rule): line breaks
 * become spaces, runs of spaces and tabs one space, no space at either end.
 */
export function canonicalHeaderValue(value: string): string {
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

/**
 * All values of a header, whatever the case of its name and whether it came as a string or
 * an array (the same name twice). Empty when absent.
 */
export function headerValues(headers: ReceivedHeaders, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (typeof value === 'string') values.push(value);
    else values.push(...value);
  }
  return values;
}

/** The names a signer signs: every header present except the unsigned ones, lower case, sorted, once each. */
export function selectSignedHeaders(headers: ReceivedHeaders): string[] {
  const names = new Set<string>();
  for (const [key, value] of Object.entries(headers)) {
    const name = key.toLowerCase();
    if (value !== undefined && !UNSIGNED_HEADERS.includes(name)) names.add(name);
  }
  return [...names].sort();
}

/**
 * The canonical headers block: "name:value\n" for each signed header in order. A header
 * sent more than once contributes its values joined by ",", as SigV4 specifies.
 */
export function createCanonicalHeaders(headers: ReceivedHeaders, signedHeaders: readonly string[]): string {
  return signedHeaders
    .map((name) => {
      const values = headerValues(headers, name);
      if (values.length === 0) {
        throw new AgentError('SIGNED_HEADER_MISSING', `signed header ${name} is not on the request`, {
          hint: 'SignedHeaders may only name headers the request carries',
        });
      }
      return `${name}:${values.map(canonicalHeaderValue).join(',')}\n`;
    })
    .join('');
}
