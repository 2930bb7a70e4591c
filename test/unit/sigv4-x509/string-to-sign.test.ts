import { describe, expect, it } from 'vitest';
import { createCanonicalRequest } from '../../../src/sigv4-x509/canonical-request';
import { createStringToSign } from '../../../src/sigv4-x509/string-to-sign';

describe('createStringToSign', () => {
  it('reproduces the IAM ListUsers example of the AWS SigV4 documentation', () => {
    const canonicalRequest = createCanonicalRequest(
      {
        method: 'GET',
        path: '/',
        query: { Action: 'ListUsers', Version: '2010-05-08' },
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
          Host: 'iam.amazonaws.com',
          'X-Amz-Date': '20150830T123600Z',
        },
      },
      ['content-type', 'host', 'x-amz-date'],
    );
    expect(
      createStringToSign(
        'AWS4-HMAC-SHA256',
        '20150830T123600Z',
        '20150830/us-east-1/iam/aws4_request',
        canonicalRequest,
      ),
    ).toBe(
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59',
    );
  });

  it('puts algorithm, date, scope and the hex SHA-256 of the canonical request on four lines', () => {
    expect(
      createStringToSign('AWS4-X509-RSA-SHA256', '20220827T010203Z', '20220827/r/s/aws4_request', ''),
    ).toBe(
      'AWS4-X509-RSA-SHA256\n20220827T010203Z\n20220827/r/s/aws4_request\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
