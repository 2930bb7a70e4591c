import { describe, expect, it } from 'vitest';
import {
  assumedRoleArn,
  deterministicUuid,
  parseArn,
  partitionOf,
  resourceId,
  roleArn,
  roleId,
  rolesAnywhereArn,
} from '../../../src/local-endpoint/arns';

const UUID = /^[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}$/;

describe('deterministic ids', () => {
  it('are UUID-shaped, stable, and differ by account, region, kind and logical id', () => {
    const id = resourceId('trust-anchor', '123456789012', 'us-east-1', 'EdgeTrustAnchor');
    expect(id).toMatch(UUID);
    expect(id[14]).toBe('4');
    expect(resourceId('trust-anchor', '123456789012', 'us-east-1', 'EdgeTrustAnchor')).toBe(id);
    const others = [
      resourceId('trust-anchor', '210987654321', 'us-east-1', 'EdgeTrustAnchor'),
      resourceId('trust-anchor', '123456789012', 'eu-west-1', 'EdgeTrustAnchor'),
      resourceId('profile', '123456789012', 'us-east-1', 'EdgeTrustAnchor'),
      resourceId('trust-anchor', '123456789012', 'us-east-1', 'OtherAnchor'),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
    expect(deterministicUuid('a', 'bc')).not.toBe(deterministicUuid('ab', 'c'));
  });

  it('make role ids of the AROA shape', () => {
    expect(roleId('123456789012', 'EdgeWorkloadRole')).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(roleId('123456789012', 'EdgeWorkloadRole')).toBe(roleId('123456789012', 'EdgeWorkloadRole'));
    expect(roleId('123456789012', 'EdgeWorkloadRole')).not.toBe(roleId('123456789012', 'OtherRole'));
  });
});

describe('ARNs', () => {
  it('follow the AWS formats, partition from the region', () => {
    expect(rolesAnywhereArn('profile', '123456789012', 'us-east-1', 'abc')).toBe(
      'arn:aws:rolesanywhere:us-east-1:123456789012:profile/abc',
    );
    expect(rolesAnywhereArn('trust-anchor', '123456789012', 'cn-north-1', 'abc')).toBe(
      'arn:aws-cn:rolesanywhere:cn-north-1:123456789012:trust-anchor/abc',
    );
    expect(roleArn('123456789012', 'EdgeBackupRole')).toBe('arn:aws:iam::123456789012:role/EdgeBackupRole');
    expect(roleArn('123456789012', 'R', 'edge/ops')).toBe('arn:aws:iam::123456789012:role/edge/ops/R');
    expect(assumedRoleArn('123456789012', 'R', '0a1b')).toBe('arn:aws:sts::123456789012:assumed-role/R/0a1b');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
  });

  it('parse back, with colons inside the resource', () => {
    expect(parseArn('arn:aws:iam::123456789012:role/a:b')).toEqual({
      partition: 'aws',
      service: 'iam',
      region: '',
      account: '123456789012',
      resource: 'role/a:b',
    });
    expect(parseArn('not-an-arn')).toBeUndefined();
    expect(parseArn('arn:aws:iam::123')).toBeUndefined();
  });
});
