import { createCanonicalHeaders } from './canonical-headers';
import { createCanonicalQuery } from './canonical-query';
import { createCanonicalUri } from './canonical-uri';
import { hashPayload } from './hashed-payload';
import type { CanonicalizableRequest } from './request';

/**
 * The SigV4 canonical request: method, canonical URI, canonical query, canonical headers
 * (their block ends with a blank line), signed header names joined by ";", hex SHA-256 of
 * the body. `signedHeaders` are lower-case names in sorted order.
 */
export function createCanonicalRequest(
  request: CanonicalizableRequest,
  signedHeaders: readonly string[],
): string {
  return [
    request.method,
    createCanonicalUri(request.path),
    createCanonicalQuery(request.query),
    createCanonicalHeaders(request.headers, signedHeaders),
    signedHeaders.join(';'),
    hashPayload(request.body),
  ].join('\n');
}
