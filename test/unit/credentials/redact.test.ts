import { describe, expect, it } from 'vitest';
import { formatImdsOutput } from '../../../src/credentials/imds-output';
import { toProcessOutput } from '../../../src/credentials/process-output';
import { REDACTED, redactCredentials } from '../../../src/credentials/redact';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLETOKEN';
const credentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  secretAccessKey: SECRET,
  sessionToken: TOKEN,
  expiration: new Date('2030-01-01T00:00:00Z'),
};

describe('redactCredentials', () => {
  it('hides secrets in every spelling we produce, at any depth', () => {
    const input = {
      credentials,
      process: toProcessOutput(credentials),
      imds: JSON.parse(formatImdsOutput(credentials, new Date())),
      ini: {
        aws_access_key_id: 'ASIAEXAMPLEEXAMPLE01',
        aws_secret_access_key: SECRET,
        aws_session_token: TOKEN,
      },
      headers: { Authorization: 'AWS4-X509-ECDSA-SHA256 Credential=1', 'X-Amz-Security-Token': TOKEN },
      list: [{ pin: '1234', password: 'pw', privateKey: 'pem' }],
    };
    const out = redactCredentials(input);
    const text = JSON.stringify(out);
    for (const secret of [SECRET, TOKEN, '1234', '"pw"', '"pem"', 'Credential=1'])
      expect(text).not.toContain(secret);
    expect(out.credentials.secretAccessKey).toBe(REDACTED);
    expect(out.process.SessionToken).toBe(REDACTED);
    expect(out.imds.Token).toBe(REDACTED);
    expect(out.ini.aws_session_token).toBe(REDACTED);
    // Access key ids keep their last 4 characters; other fields are untouched.
    expect(out.credentials.accessKeyId).toBe('****************LE01');
    expect(out.process.AccessKeyId).toBe('****************LE01');
    expect(out.ini.aws_access_key_id).toBe('****************LE01');
    expect(out.credentials.expiration).toEqual(credentials.expiration);
    expect(out.process.Version).toBe(1);
  });

  it('does not modify its input', () => {
    const input = { credentials: { ...credentials } };
    redactCredentials(input);
    expect(input.credentials.secretAccessKey).toBe(SECRET);
  });

  it('copes with cycles, primitives and short ids', () => {
    const a: Record<string, unknown> = { sessionToken: TOKEN, accessKeyId: 'AKIA' };
    a.self = a;
    const out = redactCredentials(a);
    expect(out.sessionToken).toBe(REDACTED);
    expect(out.accessKeyId).toBe(REDACTED);
    expect(out.self).toBe(out);
    expect(redactCredentials('plain')).toBe('plain');
    expect(redactCredentials(null)).toBe(null);
  });
});
