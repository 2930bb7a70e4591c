/**
 * The request shapes this folder works on. `X509SignableRequest` is structurally
 * @smithy/protocol-http's HttpRequest (what the AWS SDK hands to a signer); the verifier
 * takes the looser `ReceivedRequest` a server builds from what arrived on the socket.
 */
export type QueryBag = Record<string, string | readonly string[] | null | undefined>;

/** Header values as a server may see them: arrays when a name was sent twice (IncomingMessage.headersDistinct). */
export type ReceivedHeaders = Record<string, string | readonly string[] | undefined>;

export type RequestBody = string | Uint8Array | undefined;

export interface X509SignableRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: QueryBag;
  headers: Record<string, string>;
  body?: RequestBody;
}

/** What signX509Request returns: a fresh request with a query of its own. */
export interface SignedX509Request extends X509SignableRequest {
  query: Record<string, string | string[] | null>;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  query?: QueryBag;
  headers: ReceivedHeaders;
  body?: RequestBody;
}

/** The parts of a request the canonical request covers. */
export interface CanonicalizableRequest {
  method: string;
  path: string;
  query?: QueryBag;
  headers: ReceivedHeaders;
  body?: RequestBody;
}
