import { describe, expect, it } from 'vitest';
import { VERIFY_ERROR_RESPONSES, verifyErrorResponse } from '../../../src/sigv4-x509/verify-errors';

describe('VERIFY_ERROR_RESPONSES', () => {
  it('answers malformed input with 400 ValidationException and trust or signature failures with 403 AccessDeniedException', () => {
    for (const [code, answer] of Object.entries(VERIFY_ERROR_RESPONSES)) {
      expect(answer.type, code).toBe(answer.status === 400 ? 'ValidationException' : 'AccessDeniedException');
    }
    expect(VERIFY_ERROR_RESPONSES.AUTH_MALFORMED.status).toBe(400);
    expect(VERIFY_ERROR_RESPONSES.CERT_DER_INVALID.status).toBe(400);
    expect(VERIFY_ERROR_RESPONSES.CERT_REVOKED.status).toBe(403);
    expect(VERIFY_ERROR_RESPONSES.DATE_SKEW.status).toBe(403);
  });

  it('carries the messages seen from the real service where known', () => {
    expect(VERIFY_ERROR_RESPONSES.CERT_UNTRUSTED).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      awsMessage: 'Untrusted signing certificate',
      confirmed: true,
    });
    expect(VERIFY_ERROR_RESPONSES.SIGNATURE_INVALID).toMatchObject({
      awsMessage: 'Invalid signature',
      confirmed: true,
    });
    expect(Object.values(VERIFY_ERROR_RESPONSES).filter((answer) => answer.confirmed)).toHaveLength(2);
  });

  it('denies anything it does not know', () => {
    expect(verifyErrorResponse('SOMETHING_NEW')).toMatchObject({
      status: 403,
      type: 'AccessDeniedException',
    });
    expect(verifyErrorResponse('HEADER_DUPLICATE').status).toBe(400);
  });
});
