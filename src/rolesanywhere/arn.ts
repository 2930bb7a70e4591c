import { AgentError } from '../errors';

export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** The six parts of an ARN, as written: arn:<partition>:<service>:<region>:<account>:<resource>. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

/** What each of the three CreateSession ARNs must name. */
export type ArnKind = 'trust-anchor' | 'profile' | 'role';

export interface ResourceArn extends Arn {
  /** The ARN as given. */
  arn: string;
  partition: Partition;
  kind: ArnKind;
  /** The trust anchor or profile id (a UUID), or the role name. */
  resourceId: string;
  /** The role's IAM path ("/" when none); undefined for trust anchors and profiles. */
  rolePath?: string;
}

const PARTITIONS: readonly string[] = ['aws', 'aws-cn', 'aws-us-gov'];
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// IAM: role names are 1..64 of [\w+=,.@-]; a path is "/" or "/seg/.../" of printable ASCII, at most 512.
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_PATH = /^\/(?:[\x21-\x2e\x30-\x7e]+\/)*$/;

const SHAPES: Record<ArnKind, string> = {
  'trust-anchor': 'arn:aws:rolesanywhere:<region>:<account>:trust-anchor/<id>',
  profile: 'arn:aws:rolesanywhere:<region>:<account>:profile/<id>',
  role: 'arn:aws:iam::<account>:role/<path/name>',
};

const FLAGS: Record<ArnKind, string> = {
  'trust-anchor': '--trust-anchor-arn',
  profile: '--profile-arn',
  role: '--role-arn',
};

/** Splits an ARN into its six parts; checks only that there are six and the first is "arn". */
export function parseArn(value: string): Arn {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') {
    throw new AgentError(
      'INVALID_ARN',
      `"${value}" is not an ARN (expected arn:<partition>:<service>:<region>:<account>:<resource>)`,
      {
        hint: 'copy the ARN from the IAM Roles Anywhere or IAM console, or from `aws rolesanywhere list-*`',
      },
    );
  }
  const [, partition = '', service = '', region = '', accountId = ''] = parts;
  // The resource part may itself hold colons (it does not for these three kinds, but ARNs allow it).
  return { partition, service, region, accountId, resource: parts.slice(5).join(':') };
}

/** True when the region belongs to the partition (cn-* to aws-cn, us-gov-* to aws-us-gov). */
export function regionMatchesPartition(region: string, partition: Partition): boolean {
  return partitionOfRegion(region) === partition;
}

export function partitionOfRegion(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function isValidRegion(region: string): boolean {
  return REGION.test(region);
}

/**
 * Parses and checks one of the three CreateSession ARNs against the kind it must be, with an
 * error that names the flag, the ARN given and the shape expected.
 */
export function parseResourceArn(value: string, kind: ArnKind): ResourceArn {
  const invalid = (why: string) =>
    new AgentError('INVALID_ARN', `${FLAGS[kind]} "${value}" is not a ${kind} ARN: ${why}`, {
      hint: `give an ARN of the form ${SHAPES[kind]}`,
    });
  let arn: Arn;
  try {
    arn = parseArn(value);
  } catch {
    throw invalid('it does not have the six parts of an ARN');
  }
  if (!PARTITIONS.includes(arn.partition)) {
    throw invalid(`unknown partition "${arn.partition}" (expected aws, aws-cn or aws-us-gov)`);
  }
  const partition = arn.partition as Partition;
  if (!ACCOUNT.test(arn.accountId)) throw invalid(`account "${arn.accountId}" is not 12 digits`);

  if (kind === 'role') {
    if (arn.service !== 'iam') throw invalid(`service is "${arn.service}", expected "iam"`);
    if (arn.region !== '') throw invalid('IAM role ARNs have no region (arn:aws:iam::<account>:role/...)');
    const slash = arn.resource.indexOf('/');
    const type = slash < 0 ? arn.resource : arn.resource.slice(0, slash);
    if (type !== 'role') throw invalid(`resource is "${arn.resource}", expected role/<path/name>`);
    const rest = arn.resource.slice(slash + 1);
    const lastSlash = rest.lastIndexOf('/');
    const rolePath = lastSlash < 0 ? '/' : `/${rest.slice(0, lastSlash + 1)}`;
    const name = rest.slice(lastSlash + 1);
    if (!ROLE_NAME.test(name))
      throw invalid(`role name "${name}" must be 1 to 64 of letters, digits and +=,.@_-`);
    if (rolePath.length > 512 || !ROLE_PATH.test(rolePath))
      throw invalid(`role path "${rolePath}" is not a valid IAM path`);
    return { ...arn, arn: value, partition, kind, resourceId: name, rolePath };
  }

  if (arn.service !== 'rolesanywhere') throw invalid(`service is "${arn.service}", expected "rolesanywhere"`);
  if (!isValidRegion(arn.region))
    throw invalid(`region "${arn.region}" is not a region name such as us-east-1`);
  if (!regionMatchesPartition(arn.region, partition)) {
    throw invalid(`region ${arn.region} is not in partition ${partition}`);
  }
  const prefix = `${kind}/`;
  if (!arn.resource.startsWith(prefix)) throw invalid(`resource is "${arn.resource}", expected ${kind}/<id>`);
  const id = arn.resource.slice(prefix.length);
  if (!UUID.test(id)) throw invalid(`${kind} id "${id}" is not a UUID`);
  return { ...arn, arn: value, partition, kind, resourceId: id };
}
