/**
 * Every code verifyX509Request throws, and how a Roles Anywhere-compatible endpoint answers
 * it. `awsMessage` is the body message IAM Roles Anywhere is known to send for that failure
 * where one has been seen in the wild; the others are our wording.
 *
 * Confirmed from public reports: 403 AccessDeniedException "Untrusted signing certificate"
 * when no chain to the trust anchor forms (aws/rolesanywhere-credential-helper#108) and 403
 * AccessDeniedException "Invalid signature" (#128). CreateSession declares only
 * ValidationException (400), ResourceNotFoundException (404) and AccessDeniedException (403).
 * The status of each malformed-input case below (400 ValidationException) and of date skew
 * (403) follows that model and AWS SigV4 practice; it is not confirmed against the service.
 */
export type VerifyErrorCode =
  | 'HEADER_DUPLICATE'
  | 'AUTH_MISSING'
  | 'AUTH_MALFORMED'
  | 'AUTH_ALGORITHM_UNSUPPORTED'
  | 'DATE_MISSING'
  | 'DATE_MALFORMED'
  | 'DATE_SKEW'
  | 'SCOPE_DATE_MISMATCH'
  | 'SCOPE_REGION_MISMATCH'
  | 'SCOPE_SERVICE_MISMATCH'
  | 'SIGNED_HEADERS_INCOMPLETE'
  | 'SIGNED_HEADER_MISSING'
  | 'CERT_MISSING'
  | 'CERT_BASE64_INVALID'
  | 'CERT_DER_INVALID'
  | 'CHAIN_BASE64_INVALID'
  | 'CHAIN_DER_INVALID'
  | 'CHAIN_TOO_LONG'
  | 'SERIAL_MISMATCH'
  | 'ALGORITHM_KEY_MISMATCH'
  | 'LEAF_NOT_V3'
  | 'LEAF_IS_CA'
  | 'LEAF_NO_DIGITAL_SIGNATURE'
  | 'LEAF_SUBJECT_EMPTY'
  | 'CERT_WEAK_SIGNATURE_ALGORITHM'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CHAIN_INTERMEDIATE_NOT_CA'
  | 'CHAIN_PATH_LENGTH_EXCEEDED'
  | 'TRUST_ANCHOR_NOT_CA'
  | 'CERT_UNTRUSTED'
  | 'CERT_REVOKED'
  | 'SIGNATURE_INVALID';

export type AwsErrorType = 'AccessDeniedException' | 'ValidationException';

export interface VerifyErrorResponse {
  status: 400 | 403;
  type: AwsErrorType;
  /** What the endpoint puts in {"message": ...}. */
  awsMessage: string;
  /** True where status, type and message were seen from the real service. */
  confirmed: boolean;
}

const invalid = (awsMessage: string): VerifyErrorResponse => ({
  status: 400,
  type: 'ValidationException',
  awsMessage,
  confirmed: false,
});
const denied = (awsMessage: string, confirmed = false): VerifyErrorResponse => ({
  status: 403,
  type: 'AccessDeniedException',
  awsMessage,
  confirmed,
});

const UNTRUSTED = 'Untrusted signing certificate';
const BAD_SIGNATURE = 'Invalid signature';

export const VERIFY_ERROR_RESPONSES: Readonly<Record<VerifyErrorCode, VerifyErrorResponse>> = {
  HEADER_DUPLICATE: invalid('Duplicate header in request'),
  AUTH_MISSING: invalid('Missing Authorization header'),
  AUTH_MALFORMED: invalid('Malformed Authorization header'),
  AUTH_ALGORITHM_UNSUPPORTED: invalid('Unsupported signing algorithm'),
  DATE_MISSING: invalid('Missing X-Amz-Date header'),
  DATE_MALFORMED: invalid('Malformed X-Amz-Date header'),
  DATE_SKEW: denied('Signature expired'),
  SCOPE_DATE_MISMATCH: denied(BAD_SIGNATURE),
  SCOPE_REGION_MISMATCH: denied(BAD_SIGNATURE),
  SCOPE_SERVICE_MISMATCH: denied(BAD_SIGNATURE),
  SIGNED_HEADERS_INCOMPLETE: invalid('Required headers are not signed'),
  SIGNED_HEADER_MISSING: invalid('Signed header missing from request'),
  CERT_MISSING: invalid('Missing X-Amz-X509 header'),
  CERT_BASE64_INVALID: invalid('Malformed X-Amz-X509 header'),
  CERT_DER_INVALID: invalid('Malformed X-Amz-X509 header'),
  CHAIN_BASE64_INVALID: invalid('Malformed X-Amz-X509-Chain header'),
  CHAIN_DER_INVALID: invalid('Malformed X-Amz-X509-Chain header'),
  CHAIN_TOO_LONG: invalid('Certificate chain too long'),
  SERIAL_MISMATCH: denied(BAD_SIGNATURE),
  ALGORITHM_KEY_MISMATCH: denied(BAD_SIGNATURE),
  LEAF_NOT_V3: denied(UNTRUSTED),
  LEAF_IS_CA: denied(UNTRUSTED),
  LEAF_NO_DIGITAL_SIGNATURE: denied(UNTRUSTED),
  LEAF_SUBJECT_EMPTY: denied(UNTRUSTED),
  CERT_WEAK_SIGNATURE_ALGORITHM: denied(UNTRUSTED),
  CERT_EXPIRED: denied(UNTRUSTED),
  CERT_NOT_YET_VALID: denied(UNTRUSTED),
  CHAIN_INTERMEDIATE_NOT_CA: denied(UNTRUSTED),
  CHAIN_PATH_LENGTH_EXCEEDED: denied(UNTRUSTED),
  TRUST_ANCHOR_NOT_CA: denied(UNTRUSTED),
  CERT_UNTRUSTED: denied(UNTRUSTED, true),
  CERT_REVOKED: denied(UNTRUSTED),
  SIGNATURE_INVALID: denied(BAD_SIGNATURE, true),
};

/** The answer for any error verifyX509Request threw; unknown errors are a 403 so nothing unverified passes. */
export function verifyErrorResponse(code: string): VerifyErrorResponse {
  return (VERIFY_ERROR_RESPONSES as Record<string, VerifyErrorResponse>)[code] ?? denied(BAD_SIGNATURE);
}
