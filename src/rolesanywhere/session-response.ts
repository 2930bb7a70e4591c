import { AgentError } from '../errors';

/** What CreateSession says besides the credentials; safe to log. */
export interface SessionInfo {
  subjectArn?: string;
  roleArn?: string;
  sourceIdentity?: string;
  packedPolicySize?: number;
  assumedRoleUser?: { arn?: string; assumedRoleId?: string };
}

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  /** The rest of the response, without the credentials. */
  raw?: SessionInfo;
}

/**
 * Reads the credentials from a 2xx CreateSession body. Errors say which field is missing or
 * wrong, never what the body held: it carries a secret key and a session token.
 */
export function parseSessionResponse(body: Buffer | string, endpointUrl: string): SessionCredentials {
  const bad = (why: string) =>
    new AgentError('BAD_RESPONSE', `createsession response from ${endpointUrl} ${why}`, {
      hint: 'check that --endpoint names an IAM Roles Anywhere endpoint (not a proxy or gateway page)',
    });
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    throw bad('is not JSON');
  }
  const root = asRecord(json);
  if (!root) throw bad('is not a JSON object');
  const set = root.credentialSet;
  if (!Array.isArray(set) || set.length === 0) throw bad('has no credentialSet');
  const first = asRecord(set[0]);
  const credentials = asRecord(first?.credentials);
  if (!first || !credentials) throw bad('has no credentialSet[0].credentials');
  const field = (name: string): string => {
    const value = credentials[name];
    if (typeof value !== 'string' || value === '') throw bad(`has no credentialSet[0].credentials.${name}`);
    return value;
  };
  const accessKeyId = field('accessKeyId');
  const secretAccessKey = field('secretAccessKey');
  const sessionToken = field('sessionToken');
  const expirationText = field('expiration');
  const expiration = new Date(expirationText);
  if (Number.isNaN(expiration.getTime())) {
    throw bad(`has an expiration that is not an ISO-8601 date ("${expirationText.slice(0, 40)}")`);
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration, raw: sessionInfo(root, first) };
}

function sessionInfo(root: Record<string, unknown>, first: Record<string, unknown>): SessionInfo {
  const info: SessionInfo = {};
  if (typeof root.subjectArn === 'string') info.subjectArn = root.subjectArn;
  if (typeof first.roleArn === 'string') info.roleArn = first.roleArn;
  if (typeof first.sourceIdentity === 'string') info.sourceIdentity = first.sourceIdentity;
  if (typeof first.packedPolicySize === 'number') info.packedPolicySize = first.packedPolicySize;
  const user = asRecord(first.assumedRoleUser);
  if (user) {
    info.assumedRoleUser = {
      ...(typeof user.arn === 'string' ? { arn: user.arn } : {}),
      ...(typeof user.assumedRoleId === 'string' ? { assumedRoleId: user.assumedRoleId } : {}),
    };
  }
  return info;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
