import { AgentError } from '../errors';
import { headerValues } from './canonical-headers';
import type { ReceivedHeaders } from './request';

/**
 * Node's IncomingMessage joins repeated headers with ", " (and keeps only the first
 * Authorization or Host); headersDistinct gives arrays. Either way a header that may only
 * appear once must come once: these patterns spot a joined second copy in a single string.
 */
const JOINED_COPY: Record<string, (value: string) => boolean> = {
  authorization: (value) => value.split(',').filter((part) => /^\s*AWS4-/.test(part)).length > 1,
  'x-amz-date': (value) => value.includes(','),
  'x-amz-x509': (value) => value.includes(','),
  // Intermediates are joined by a bare ","; ", " is how a proxy or node merges two headers.
  'x-amz-x509-chain': (value) => /,\s/.test(value),
  host: (value) => value.includes(','),
};

/** The one value of a header that must not repeat; undefined when absent. Throws HEADER_DUPLICATE. */
export function singleHeader(headers: ReceivedHeaders, name: string): string | undefined {
  const values = headerValues(headers, name);
  const joined = JOINED_COPY[name.toLowerCase()];
  if (values.length > 1 || (values[0] !== undefined && joined?.(values[0]))) {
    throw new AgentError('HEADER_DUPLICATE', `header ${name} appears more than once`, {
      hint: `send ${name} exactly once`,
    });
  }
  return values[0];
}
