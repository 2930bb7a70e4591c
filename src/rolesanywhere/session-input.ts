import { AgentError } from '../errors';
import type { X509SignableRequest } from '../sigv4-x509';
import { parseResourceArn, type ResourceArn } from './arn';
import { type ResolvedEndpoint, resolveEndpoint, resolveRegion } from './endpoint';

export const DEFAULT_DURATION_SECONDS = 3600;
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43_200;

export interface SessionInputOptions {
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  region?: string;
  endpoint?: string;
  durationSeconds?: number;
  roleSessionName?: string;
}

/** Everything a CreateSession call needs besides the signer, checked. */
export interface SessionInput {
  trustAnchor: ResourceArn;
  profile: ResourceArn;
  role: ResourceArn;
  region: string;
  endpoint: ResolvedEndpoint;
  durationSeconds: number;
  roleSessionName?: string;
}

export function validateDuration(value: number | undefined): number {
  const duration = value ?? DEFAULT_DURATION_SECONDS;
  if (!Number.isInteger(duration) || duration < MIN_DURATION_SECONDS || duration > MAX_DURATION_SECONDS) {
    throw new AgentError(
      'INVALID_DURATION',
      `session duration ${duration} is not a whole number of seconds from ${MIN_DURATION_SECONDS} to ${MAX_DURATION_SECONDS}`,
      { hint: 'pass --session-duration between 900 (15 minutes) and 43200 (12 hours); the default is 3600' },
    );
  }
  return duration;
}

/** IAM's rule for role session names: 2 to 64 of letters, digits and +=,.@_- */
export function validateRoleSessionName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[\w+=,.@-]{2,64}$/.test(value)) {
    throw new AgentError(
      'INVALID_ROLE_SESSION_NAME',
      `role session name "${value}" must be 2 to 64 characters of letters, digits and +=,.@_-`,
      { hint: 'pick a --role-session-name such as the host name, without spaces or slashes' },
    );
  }
  return value;
}

/**
 * Checks the inputs before anything is signed or sent: the three ARNs against their kinds
 * (and against each other), duration, session name, region and endpoint.
 */
export function resolveSessionInput(options: SessionInputOptions): SessionInput {
  const trustAnchor = parseResourceArn(options.trustAnchorArn, 'trust-anchor');
  const profile = parseResourceArn(options.profileArn, 'profile');
  const role = parseResourceArn(options.roleArn, 'role');
  if (profile.partition !== trustAnchor.partition || role.partition !== trustAnchor.partition) {
    throw new AgentError(
      'INVALID_ARN',
      `the trust anchor (${trustAnchor.partition}), profile (${profile.partition}) and role (${role.partition}) ARNs are in different partitions`,
      { hint: 'use a trust anchor, profile and role of the same partition (aws, aws-cn or aws-us-gov)' },
    );
  }
  if (profile.region !== trustAnchor.region) {
    throw new AgentError(
      'INVALID_ARN',
      `the trust anchor ARN is in ${trustAnchor.region} but the profile ARN is in ${profile.region}`,
      { hint: 'CreateSession takes a trust anchor and a profile of the same region' },
    );
  }
  const durationSeconds = validateDuration(options.durationSeconds);
  const roleSessionName = validateRoleSessionName(options.roleSessionName);
  const region = resolveRegion(options.region, trustAnchor.region);
  const endpoint = resolveEndpoint(region, options.endpoint);
  return {
    trustAnchor,
    profile,
    role,
    region,
    endpoint,
    durationSeconds,
    ...(roleSessionName === undefined ? {} : { roleSessionName }),
  };
}

/** The unsigned CreateSession request: POST <prefix>/sessions?profileArn&roleArn&trustAnchorArn, JSON body. */
export function buildSessionRequest(input: SessionInput, userAgent: string): X509SignableRequest {
  const body = JSON.stringify({
    durationSeconds: input.durationSeconds,
    ...(input.roleSessionName === undefined ? {} : { roleSessionName: input.roleSessionName }),
  });
  const { endpoint } = input;
  return {
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
    path: `${endpoint.pathPrefix}/sessions`,
    query: {
      profileArn: input.profile.arn,
      roleArn: input.role.arn,
      trustAnchorArn: input.trustAnchor.arn,
    },
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': userAgent,
    },
    body,
  };
}
