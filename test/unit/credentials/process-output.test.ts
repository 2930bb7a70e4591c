import { describe, expect, it } from 'vitest';
import { formatProcessOutput, toProcessOutput } from '../../../src/credentials/process-output';

const credentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE+/=',
  expiration: new Date('2030-01-02T03:04:05.678Z'),
};

describe('credential_process output', () => {
  it('is one JSON line with exactly the fields AWS SDKs read, in AWS order', () => {
    const text = formatProcessOutput(credentials);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd()).not.toContain('\n');
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual([
      'Version',
      'AccessKeyId',
      'SecretAccessKey',
      'SessionToken',
      'Expiration',
    ]);
    expect(parsed).toEqual({
      Version: 1,
      AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
      SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      SessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE+/=',
      Expiration: '2030-01-02T03:04:05Z',
    });
  });

  it('drops milliseconds without rounding up and always ends in Z', () => {
    const out = toProcessOutput({ ...credentials, expiration: new Date('2030-01-02T03:04:05.999Z') });
    expect(out.Expiration).toBe('2030-01-02T03:04:05Z');
    expect(out.Expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(out.Expiration)).toBeLessThanOrEqual(Date.parse('2030-01-02T03:04:05.999Z'));
  });

  it('refuses empty credentials instead of printing them', () => {
    expect(() => toProcessOutput({ ...credentials, sessionToken: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CREDENTIALS' }),
    );
  });
});
