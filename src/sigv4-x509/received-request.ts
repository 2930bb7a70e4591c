import type { IncomingMessage } from 'node:http';
import { parseQueryString } from './canonical-query';
import type { ReceivedRequest } from './request';

/**
 * The request as a server received it, ready for verifyX509Request: the method, the raw
 * (still percent-encoded) path, the decoded query, every header with all its values
 * (headersDistinct, so a repeated Authorization or X-Amz-X509 is seen, not dropped or
 * merged) and the body bytes the caller has read.
 */
export function receivedRequestFrom(
  message: Pick<IncomingMessage, 'method' | 'url' | 'headersDistinct'>,
  body: Uint8Array | undefined,
): ReceivedRequest {
  const url = message.url ?? '/';
  const question = url.indexOf('?');
  return {
    method: message.method ?? 'GET',
    path: question < 0 ? url : url.slice(0, question),
    query: question < 0 ? {} : parseQueryString(url.slice(question + 1)),
    headers: { ...message.headersDistinct },
    body,
  };
}
