// SigV4-X509: the request signature of IAM Roles Anywhere, signing and verifying.

export { serialToDecimal, serialToHex } from '../x509/serial';
export {
  type Authorization,
  formatAuthorization,
  parseAuthorization,
  SIGNING_ALGORITHMS,
} from './authorization';
export {
  canonicalHeaderValue,
  createCanonicalHeaders,
  headerValues,
  selectSignedHeaders,
  UNSIGNED_HEADERS,
} from './canonical-headers';
export { createCanonicalQuery, parseQueryString } from './canonical-query';
export { createCanonicalRequest } from './canonical-request';
export { createCanonicalUri } from './canonical-uri';
export { createCredentialScope, formatAmzDate, parseAmzDate } from './credential-scope';
export { hashPayload, sha256Hex } from './hashed-payload';
export { receivedRequestFrom } from './received-request';
export type {
  QueryBag,
  ReceivedHeaders,
  ReceivedRequest,
  RequestBody,
  SignedX509Request,
  X509SignableRequest,
} from './request';
export { hostHeader, type SignX509Options, signX509Request } from './sign';
export { createStringToSign } from './string-to-sign';
export { uriEscape } from './uri-escape';
export { type VerifiedX509Request, type VerifyX509Options, verifyX509Request } from './verify';
export {
  type AwsErrorType,
  VERIFY_ERROR_RESPONSES,
  type VerifyErrorCode,
  type VerifyErrorResponse,
  verifyErrorResponse,
} from './verify-errors';
export { decodeChainHeader, decodeLeafHeader, MAX_CHAIN_CERTIFICATES } from './x509-headers';
