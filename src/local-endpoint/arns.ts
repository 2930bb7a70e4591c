import { createHash } from 'node:crypto';

/**
 * Identifiers the local endpoint makes up for its resources. They are derived from a hash of
 * account, region and logical id, so the same template gives the same ARNs on every run and
 * a credential_process line written once keeps working.
 */

export type RolesAnywhereKind = 'trust-anchor' | 'profile' | 'crl' | 'subject';

/** The partition a region belongs to, as ${AWS::Partition} resolves it. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/** The DNS suffix of a partition, as ${AWS::URLSuffix} resolves it. */
export function urlSuffixOf(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** A UUID-shaped id (version 4 and variant bits set, as Roles Anywhere ids look) from the inputs. */
export function deterministicUuid(...parts: string[]): string {
  const bytes = Buffer.from(digest(...parts).subarray(0, 16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `length` upper-case base32 characters from the hash of the inputs. */
export function deterministicCode(length: number, ...parts: string[]): string {
  const bytes = digest(...parts);
  let code = '';
  for (let i = 0; i < length; i++) code += BASE32[(bytes[i % bytes.length] ?? 0) % 32];
  return code;
}

export function resourceId(
  kind: RolesAnywhereKind,
  account: string,
  region: string,
  logicalId: string,
): string {
  return deterministicUuid(account, region, kind, logicalId);
}

export function rolesAnywhereArn(
  kind: RolesAnywhereKind,
  account: string,
  region: string,
  id: string,
): string {
  return `arn:${partitionOf(region)}:rolesanywhere:${region}:${account}:${kind}/${id}`;
}

/** IAM role ARN; `path` is the role's Path ('/' when none). */
export function roleArn(account: string, roleName: string, path = '/', region = 'us-east-1'): string {
  return `arn:${partitionOf(region)}:iam::${account}:role${normalizeRolePath(path)}${roleName}`;
}

export function normalizeRolePath(path: string): string {
  if (!path || path === '/') return '/';
  const withLead = path.startsWith('/') ? path : `/${path}`;
  return withLead.endsWith('/') ? withLead : `${withLead}/`;
}

/** AROA + 17 characters, the shape of a real role's unique id. */
export function roleId(account: string, logicalId: string): string {
  return `AROA${deterministicCode(17, account, 'iam-role', logicalId)}`;
}

/** The ARN STS gives the session: arn:aws:sts::<account>:assumed-role/<role name>/<session name>. */
export function assumedRoleArn(
  account: string,
  roleName: string,
  sessionName: string,
  region = 'us-east-1',
): string {
  return `arn:${partitionOf(region)}:sts::${account}:assumed-role/${roleName}/${sessionName}`;
}

/** The name part of a role ARN (after the last '/'). */
export function roleNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Splits an ARN into its six parts; undefined when it is not one. */
export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = '', ...rest] = parts;
  const resource = rest.join(':');
  if (!partition || !service || !resource) return undefined;
  return { partition, service, region, account, resource };
}
