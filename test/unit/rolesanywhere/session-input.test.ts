import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import {
  buildSessionRequest,
  resolveSessionInput,
  validateDuration,
  validateRoleSessionName,
} from '../../../src/rolesanywhere/session-input';

const TA = 'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666';
const PROFILE = 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666';
const ROLE = 'arn:aws:iam::123456789012:role/edge-role';
const base = { trustAnchorArn: TA, profileArn: PROFILE, roleArn: ROLE };

function errorOf(fn: () => unknown): AgentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error('expected a throw');
}

describe('validateDuration', () => {
  it('defaults to 3600 and accepts 900..43200 whole seconds', () => {
    expect(validateDuration(undefined)).toBe(3600);
    expect(validateDuration(900)).toBe(900);
    expect(validateDuration(43_200)).toBe(43_200);
  });
  it.each([899, 43_201, 0, -1, 1800.5, Number.NaN])('rejects %s', (value) => {
    expect(errorOf(() => validateDuration(value)).code).toBe('INVALID_DURATION');
  });
});

describe('validateRoleSessionName', () => {
  it('accepts IAM session names', () => {
    expect(validateRoleSessionName(undefined)).toBeUndefined();
    expect(validateRoleSessionName('ab')).toBe('ab');
    expect(validateRoleSessionName('device-1@site.example,x=y+z_')).toBe('device-1@site.example,x=y+z_');
    expect(validateRoleSessionName('n'.repeat(64))).toBe('n'.repeat(64));
  });
  it.each(['a', 'n'.repeat(65), 'has space', 'a/b', 'ünïcode', ''])('rejects "%s"', (value) => {
    const error = errorOf(() => validateRoleSessionName(value));
    expect(error.code).toBe('INVALID_ROLE_SESSION_NAME');
    expect(error.hint).toContain('--role-session-name');
  });
});

describe('resolveSessionInput', () => {
  it('defaults region and endpoint from the trust anchor', () => {
    const input = resolveSessionInput(base);
    expect(input.region).toBe('us-east-1');
    expect(input.endpoint.url).toBe('https://rolesanywhere.us-east-1.amazonaws.com');
    expect(input.durationSeconds).toBe(3600);
    expect(input.roleSessionName).toBeUndefined();
  });

  it('rejects ARNs of different partitions or regions', () => {
    const cnRole = 'arn:aws-cn:iam::123456789012:role/r';
    expect(errorOf(() => resolveSessionInput({ ...base, roleArn: cnRole })).message).toMatch(
      /different partitions/,
    );
    const westProfile = PROFILE.replace('us-east-1', 'us-west-2');
    const error = errorOf(() => resolveSessionInput({ ...base, profileArn: westProfile }));
    expect(error.code).toBe('INVALID_ARN');
    expect(error.message).toContain('us-west-2');
  });
});

describe('buildSessionRequest', () => {
  it('builds POST <prefix>/sessions with the ARNs in the query and the JSON body', () => {
    const input = resolveSessionInput({
      ...base,
      endpoint: 'http://127.0.0.1:9000/p',
      durationSeconds: 1200,
      roleSessionName: 'dev-1',
    });
    const request = buildSessionRequest(input, 'rolesanywhere-agent/test');
    expect(request).toEqual({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 9000,
      path: '/p/sessions',
      query: { profileArn: PROFILE, roleArn: ROLE, trustAnchorArn: TA },
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength('{"durationSeconds":1200,"roleSessionName":"dev-1"}')),
        'user-agent': 'rolesanywhere-agent/test',
      },
      body: '{"durationSeconds":1200,"roleSessionName":"dev-1"}',
    });
  });

  it('leaves roleSessionName out of the body when not given', () => {
    const request = buildSessionRequest(resolveSessionInput(base), 'ua');
    expect(request.body).toBe('{"durationSeconds":3600}');
    expect(request.port).toBeUndefined();
  });
});
