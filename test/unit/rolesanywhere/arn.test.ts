import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import {
  parseArn,
  parseResourceArn,
  partitionOfRegion,
  regionMatchesPartition,
} from '../../../src/rolesanywhere/arn';

const TA = 'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666';
const PROFILE = 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666';

function errorOf(fn: () => unknown): AgentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error('expected a throw');
}

describe('parseArn', () => {
  it('splits the six parts, keeping colons inside the resource', () => {
    expect(parseArn(TA)).toEqual({
      partition: 'aws',
      service: 'rolesanywhere',
      region: 'us-east-1',
      accountId: '123456789012',
      resource: 'trust-anchor/0a1b2c3d-1111-4222-8333-444455556666',
    });
    expect(parseArn('arn:aws:logs:us-east-1:123456789012:log-group:my-group:*').resource).toBe(
      'log-group:my-group:*',
    );
    expect(parseArn('arn:aws:iam::123456789012:role/r').region).toBe('');
  });

  it('rejects text that is not an ARN', () => {
    for (const value of ['', 'arn:aws:iam', 'urn:aws:iam::1:role/x', 'not an arn']) {
      expect(errorOf(() => parseArn(value)).code).toBe('INVALID_ARN');
    }
  });
});

describe('parseResourceArn', () => {
  it('accepts the three kinds in all three partitions', () => {
    expect(parseResourceArn(TA, 'trust-anchor')).toMatchObject({
      kind: 'trust-anchor',
      resourceId: '0a1b2c3d-1111-4222-8333-444455556666',
      region: 'us-east-1',
      arn: TA,
    });
    expect(parseResourceArn(PROFILE, 'profile').resourceId).toBe('9f8e7d6c-1111-4222-8333-444455556666');
    const cn =
      'arn:aws-cn:rolesanywhere:cn-north-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666';
    expect(parseResourceArn(cn, 'profile').partition).toBe('aws-cn');
    const gov =
      'arn:aws-us-gov:rolesanywhere:us-gov-west-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666';
    expect(parseResourceArn(gov, 'trust-anchor').partition).toBe('aws-us-gov');
  });

  it('reads role names and paths', () => {
    expect(parseResourceArn('arn:aws:iam::123456789012:role/edge-role', 'role')).toMatchObject({
      resourceId: 'edge-role',
      rolePath: '/',
    });
    expect(
      parseResourceArn('arn:aws:iam::123456789012:role/team/edge/device+role=1,a.b@c_d-e', 'role'),
    ).toMatchObject({
      resourceId: 'device+role=1,a.b@c_d-e',
      rolePath: '/team/edge/',
    });
    expect(parseResourceArn('arn:aws-cn:iam::123456789012:role/r1', 'role').partition).toBe('aws-cn');
  });

  const bad: Array<[string, 'trust-anchor' | 'profile' | 'role', RegExp]> = [
    [PROFILE, 'trust-anchor', /expected trust-anchor\/<id>/],
    [TA, 'profile', /expected profile\/<id>/],
    [TA, 'role', /service is "rolesanywhere", expected "iam"/],
    ['arn:aws:iam::123456789012:user/alice', 'role', /expected role\/<path\/name>/],
    ['arn:aws:iam:us-east-1:123456789012:role/r', 'role', /no region/],
    ['arn:aws:iam::12345:role/r', 'role', /not 12 digits/],
    ['arn:aws:iam::123456789012:role/has space', 'role', /role name/],
    [`arn:aws:iam::123456789012:role/${'n'.repeat(65)}`, 'role', /role name/],
    ['arn:aws:iam::123456789012:role/a//b', 'role', /role path/],
    ['arn:aws:iam::123456789012:role/', 'role', /role name/],
    [
      'arn:aws:s3:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666',
      'trust-anchor',
      /expected "rolesanywhere"/,
    ],
    [
      'arn:azure:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666',
      'trust-anchor',
      /unknown partition "azure"/,
    ],
    [
      'arn:aws:rolesanywhere:useast1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666',
      'trust-anchor',
      /region "useast1"/,
    ],
    [
      'arn:aws:rolesanywhere:cn-north-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666',
      'trust-anchor',
      /not in partition aws/,
    ],
    [
      'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333',
      'trust-anchor',
      /not a UUID/,
    ],
    ['arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/', 'trust-anchor', /not a UUID/],
    ['trust-anchor/0a1b2c3d-1111-4222-8333-444455556666', 'trust-anchor', /six parts/],
  ];
  it.each(bad)('rejects %s as a %s', (value, kind, why) => {
    const error = errorOf(() => parseResourceArn(value, kind));
    expect(error.code).toBe('INVALID_ARN');
    expect(error.message).toMatch(why);
    expect(error.message).toContain(value);
    expect(error.message).toContain(kind === 'trust-anchor' ? '--trust-anchor-arn' : `--${kind}-arn`);
    expect(error.hint).toContain(
      kind === 'role' ? 'arn:aws:iam::<account>:role/<path/name>' : `:${kind}/<id>`,
    );
  });
});

describe('partitions of regions', () => {
  it('maps region prefixes to partitions', () => {
    expect(partitionOfRegion('us-east-1')).toBe('aws');
    expect(partitionOfRegion('cn-northwest-1')).toBe('aws-cn');
    expect(partitionOfRegion('us-gov-east-1')).toBe('aws-us-gov');
    expect(regionMatchesPartition('eu-central-2', 'aws')).toBe(true);
    expect(regionMatchesPartition('eu-central-2', 'aws-cn')).toBe(false);
  });
});
