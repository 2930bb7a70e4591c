import { describe, expect, it } from 'vitest';
import { formatImdsOutput, toImdsOutput } from '../../../src/credentials/imds-output';

const credentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  secretAccessKey: 'secret/+=',
  sessionToken: 'token/+=',
  expiration: new Date('2030-01-02T03:04:05.678Z'),
};

describe('IMDS credentials output', () => {
  it('has exactly the fields EC2 metadata returns, in its order', () => {
    const parsed = JSON.parse(formatImdsOutput(credentials, new Date('2030-01-02T02:04:05.123Z')));
    expect(Object.keys(parsed)).toEqual([
      'Code',
      'LastUpdated',
      'Type',
      'AccessKeyId',
      'SecretAccessKey',
      'Token',
      'Expiration',
    ]);
    expect(parsed).toEqual({
      Code: 'Success',
      LastUpdated: '2030-01-02T02:04:05Z',
      Type: 'AWS-HMAC',
      AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
      SecretAccessKey: 'secret/+=',
      Token: 'token/+=',
      Expiration: '2030-01-02T03:04:05Z',
    });
  });

  it('refuses incomplete credentials', () => {
    expect(() => toImdsOutput({ ...credentials, accessKeyId: '' }, new Date())).toThrow(
      expect.objectContaining({ code: 'INVALID_CREDENTIALS' }),
    );
  });
});
