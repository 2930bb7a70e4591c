import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import { parseSessionResponse } from '../../../src/rolesanywhere/session-response';
import { SECRET_ACCESS_KEY, SESSION_TOKEN, successBody } from './canned-endpoint';

const URL = 'https://rolesanywhere.us-east-1.amazonaws.com';

function errorOf(fn: () => unknown): AgentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error('expected a throw');
}

describe('parseSessionResponse', () => {
  it('returns the credentials and the rest of the response without them', () => {
    const result = parseSessionResponse(Buffer.from(successBody('2026-03-04T05:06:07Z')), URL);
    expect(result).toMatchObject({
      accessKeyId: 'ASIAEXAMPLEACCESSKEY',
      secretAccessKey: SECRET_ACCESS_KEY,
      sessionToken: SESSION_TOKEN,
    });
    expect(result.expiration.getTime()).toBe(Date.UTC(2026, 2, 4, 5, 6, 7));
    expect(result.raw).toEqual({
      subjectArn: 'arn:aws:rolesanywhere:us-east-1:123456789012:subject/0a1b2c3d-0000-4000-8000-000000000001',
      roleArn: 'arn:aws:iam::123456789012:role/edge-role',
      sourceIdentity: 'CN=device-1',
      packedPolicySize: 7,
      assumedRoleUser: {
        arn: 'arn:aws:sts::123456789012:assumed-role/edge-role/device-1',
        assumedRoleId: 'AROAEXAMPLE:device-1',
      },
    });
  });

  const full = JSON.parse(successBody());
  const without = (field: string) => {
    const copy = structuredClone(full);
    delete copy.credentialSet[0].credentials[field];
    return JSON.stringify(copy);
  };
  const bad: Array<[string, string, RegExp]> = [
    ['not json', `garbage ${SECRET_ACCESS_KEY}`, /is not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['no credentialSet', '{}', /has no credentialSet/],
    ['empty credentialSet', '{"credentialSet":[]}', /has no credentialSet/],
    ['no credentials', '{"credentialSet":[{}]}', /credentialSet\[0\]\.credentials$/],
    ['no accessKeyId', without('accessKeyId'), /credentials\.accessKeyId/],
    ['no secretAccessKey', without('secretAccessKey'), /credentials\.secretAccessKey/],
    ['no sessionToken', without('sessionToken'), /credentials\.sessionToken/],
    ['no expiration', without('expiration'), /credentials\.expiration/],
    ['a bad expiration', successBody('next tuesday'), /not an ISO-8601 date \("next tuesday"\)/],
  ];
  it.each(bad)('rejects a body with %s as BAD_RESPONSE, quoting no secret', (_what, body, why) => {
    const error = errorOf(() => parseSessionResponse(body, URL));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toMatch(why);
    expect(error.message).toContain(URL);
    expect(error.message).not.toContain(SECRET_ACCESS_KEY);
    expect(error.message).not.toContain(SESSION_TOKEN);
  });
});
