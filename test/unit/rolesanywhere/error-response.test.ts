import { describe, expect, it } from 'vitest';
import {
  errorCodeFor,
  mapErrorResponse,
  parseAwsError,
  type SessionContext,
} from '../../../src/rolesanywhere/error-response';

const context: SessionContext = {
  serialDecimal: '1193046',
  serialHex: '123456',
  trustAnchorArn:
    'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666',
  profileArn: 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666',
  roleArn: 'arn:aws:iam::123456789012:role/edge-role',
  region: 'us-east-1',
  endpointUrl: 'https://rolesanywhere.us-east-1.amazonaws.com',
};

const response = (statusCode: number, body: string, headers: Record<string, string> = {}) => ({
  statusCode,
  headers,
  body: Buffer.from(body),
});

describe('parseAwsError', () => {
  it('reads the type from x-amzn-errortype and the message from the body', () => {
    expect(
      parseAwsError(
        response(403, '{"message":"Untrusted certificate. Insufficient certificate"}', {
          'x-amzn-errortype':
            'AccessDeniedException:http://internal.amazon.com/coral/com.amazonaws.rolesanywhere/',
        }),
      ),
    ).toEqual({ type: 'AccessDeniedException', message: 'Untrusted certificate. Insufficient certificate' });
  });

  it('reads __type (namespace#Name) and Message when there is no header', () => {
    expect(
      parseAwsError(
        response(404, '{"__type":"com.amazonaws.rolesanywhere#ResourceNotFoundException","Message":"no"}'),
      ),
    ).toEqual({
      type: 'ResourceNotFoundException',
      message: 'no',
    });
  });

  it('quotes a text body as the message, on one line and shortened', () => {
    expect(parseAwsError(response(502, '<html>\n  <body>Bad gateway</body>\n</html>'))).toEqual({
      message: '<html> <body>Bad gateway</body> </html>',
    });
    const long = parseAwsError(response(500, 'x'.repeat(1000))).message ?? '';
    expect(long.length).toBeLessThan(310);
    expect(long.endsWith('...')).toBe(true);
    expect(parseAwsError(response(500, ''))).toEqual({});
    expect(parseAwsError(response(500, '[1,2]'))).toEqual({ message: '[1,2]' });
  });
});

describe('errorCodeFor', () => {
  const cases: Array<[number, string | undefined, string]> = [
    [403, 'AccessDeniedException', 'ACCESS_DENIED'],
    [400, 'AccessDeniedException', 'ACCESS_DENIED'],
    [403, undefined, 'ACCESS_DENIED'],
    [401, undefined, 'ACCESS_DENIED'],
    [404, 'ResourceNotFoundException', 'RESOURCE_NOT_FOUND'],
    [404, undefined, 'RESOURCE_NOT_FOUND'],
    [400, 'ValidationException', 'VALIDATION'],
    [400, undefined, 'VALIDATION'],
    [429, 'ThrottlingException', 'THROTTLED'],
    [400, 'ThrottlingException', 'THROTTLED'],
    [429, undefined, 'THROTTLED'],
    [500, 'InternalServerException', 'SERVICE_ERROR'],
    [503, undefined, 'SERVICE_ERROR'],
    [409, 'ConflictException', 'REQUEST_FAILED'],
    [302, undefined, 'BAD_RESPONSE'],
  ];
  it.each(cases)('%i %s -> %s', (status, type, code) => {
    expect(errorCodeFor(status, type)).toBe(code);
  });
});

describe('mapErrorResponse', () => {
  it('names the serial (decimal and hex), the ARNs, the endpoint and the service message', () => {
    const error = mapErrorResponse(
      response(403, '{"message":"Untrusted signing certificate"}', {
        'x-amzn-errortype': 'AccessDeniedException',
      }),
      context,
    );
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toBe(
      `createsession denied (403 AccessDeniedException) for certificate serial 1193046 (hex 123456) with trust anchor ${context.trustAnchorArn}, profile ${context.profileArn} and role ${context.roleArn} at ${context.endpointUrl}: Untrusted signing certificate`,
    );
    expect(error.hint).toContain('aws:PrincipalTag/x509Subject/OU');
    expect(error.hint).not.toContain('clock');
  });

  it('adds the clock to the hint when the service talks about time', () => {
    const error = mapErrorResponse(
      response(403, '{"message":"Signature expired: 20200101T000000Z is now earlier than"}'),
      context,
    );
    expect(error.hint).toContain('system clock');
  });

  it('says how many attempts were made and when the service gave no message', () => {
    const error = mapErrorResponse(response(500, ''), context, 3);
    expect(error.code).toBe('SERVICE_ERROR');
    expect(error.message).toContain('(500) after 3 attempts');
    expect(error.message).toContain('the service gave no message');
  });

  it('points a 404 at the anchor/profile ARNs and the region', () => {
    const error = mapErrorResponse(response(404, '{"message":"Profile not found"}'), {
      ...context,
      region: 'eu-west-1',
    });
    expect(error.code).toBe('RESOURCE_NOT_FOUND');
    expect(error.message).toContain(context.profileArn);
    expect(error.hint).toContain('eu-west-1');
  });
});
