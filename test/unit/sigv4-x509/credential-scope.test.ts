import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { createCredentialScope, formatAmzDate, parseAmzDate } from '../../../src/sigv4-x509/credential-scope';

describe('formatAmzDate', () => {
  it('formats in UTC without separators or milliseconds', () => {
    expect(formatAmzDate(new Date('2022-08-27T01:02:03.999Z'))).toBe('20220827T010203Z');
    expect(formatAmzDate(new Date('2024-12-31T23:59:59+02:00'))).toBe('20241231T215959Z');
  });

  it('refuses an invalid date', () => {
    let error: unknown;
    try {
      formatAmzDate(new Date('not a date'));
    } catch (caught) {
      error = caught;
    }
    expect(isAgentError(error) && error.code).toBe('SIGNING_DATE_INVALID');
  });
});

describe('parseAmzDate', () => {
  it('reads YYYYMMDDTHHMMSSZ', () => {
    expect(parseAmzDate('20220827T010203Z')?.toISOString()).toBe('2022-08-27T01:02:03.000Z');
    expect(parseAmzDate('20240229T000000Z')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it.each([
    '2022-08-27T01:02:03Z',
    '20220827T010203',
    '20220827010203Z',
    '20230229T000000Z',
    '20220827T250000Z',
    '20220827T010203.5Z',
    ' 20220827T010203Z',
  ])('rejects %j', (value) => {
    expect(parseAmzDate(value)).toBeUndefined();
  });
});

describe('createCredentialScope', () => {
  it('is date/region/service/aws4_request', () => {
    expect(createCredentialScope('20220827T010203Z', 'us-east-1', 'rolesanywhere')).toBe(
      '20220827/us-east-1/rolesanywhere/aws4_request',
    );
  });
});
