import { randomUUID } from 'node:crypto';
import { isAgentError } from '../errors';
import { decodeLeafHeader, verifyErrorResponse, verifyX509Request } from '../sigv4-x509';
import type { X509Certificate } from '../x509/x509';
import { assumedRoleArn, deterministicUuid, parseArn, rolesAnywhereArn } from './arns';
import type { AuditLog, CreateSessionAuditRecord } from './audit-log';
import type { CredentialStore } from './credential-store';
import { evaluateTrustPolicy, type TrustPolicyContext } from './policy';
import { MAX_DURATION, MIN_DURATION } from './resource-builders';
import { sessionTagsFor } from './session-tags';
import type { EndpointRequest, EndpointResponse, LocalResources, Profile, Role, TrustAnchor } from './types';

/**
 * POST /sessions, as IAM Roles Anywhere answers it: the SigV4-X509 signature and the
 * certificate path are verified against the named trust anchor, then the profile, the role
 * and its trust policy are checked, and temporary credentials are issued from the store.
 * Every call, granted or refused, leaves one audit record.
 */

export interface CreateSessionContext {
  resources: LocalResources;
  store: CredentialStore;
  audit: AuditLog;
  now: () => Date;
  region: string;
}

type ErrorType =
  | 'AccessDeniedException'
  | 'ResourceNotFoundException'
  | 'ValidationException'
  | 'InternalServerException';

const STATUS: Record<ErrorType, number> = {
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ValidationException: 400,
  InternalServerException: 500,
};

/** A refusal: what the client is told (type, message) and what the audit log records (code). */
interface Refusal extends Error {
  readonly type: ErrorType;
  readonly code: string;
}

function refuse(type: ErrorType, code: string, message: string): never {
  throw Object.assign(new Error(message), { name: 'Refusal', type, code });
}

function isRefusal(error: unknown): error is Refusal {
  return error instanceof Error && error.name === 'Refusal' && typeof (error as Refusal).type === 'string';
}

/** STS's RoleSessionName rule. */
const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

interface SessionRequest {
  trustAnchorArn: string | undefined;
  profileArn: string | undefined;
  roleArn: string | undefined;
  durationSeconds: unknown;
  roleSessionName: unknown;
  bodyError: string | undefined;
}

export async function handleCreateSession(
  request: EndpointRequest,
  ctx: CreateSessionContext,
): Promise<EndpointResponse> {
  const now = ctx.now();
  const params = readParameters(request);
  const audit: Omit<CreateSessionAuditRecord, 'time' | 'event' | 'outcome'> = {
    sourceAddress: request.sourceAddress,
    ...presentedCertificate(request),
    ...(params.trustAnchorArn ? { trustAnchorArn: params.trustAnchorArn } : {}),
    ...(params.profileArn ? { profileArn: params.profileArn } : {}),
    ...(params.roleArn ? { roleArn: params.roleArn } : {}),
  };
  try {
    const body = await createSession(request, params, ctx, now, audit);
    ctx.audit.record({ ...audit, outcome: 'success' }, now);
    return { status: 201, headers: jsonHeaders(), body: JSON.stringify(body) };
  } catch (error) {
    const refusal = toRefusal(error);
    ctx.audit.record({ ...audit, outcome: 'failure', errorCode: refusal.code, reason: refusal.message }, now);
    return {
      status: STATUS[refusal.type],
      headers: { ...jsonHeaders(), 'x-amzn-errortype': refusal.type },
      body: JSON.stringify({ message: refusal.message }),
    };
  }
}

async function createSession(
  request: EndpointRequest,
  params: SessionRequest,
  ctx: CreateSessionContext,
  now: Date,
  audit: Omit<CreateSessionAuditRecord, 'time' | 'event' | 'outcome'>,
) {
  const { resources } = ctx;
  const anchor = params.trustAnchorArn
    ? resources.trustAnchors.find((candidate) => candidate.arn === params.trustAnchorArn)
    : undefined;

  // Authenticate first: nothing about the resources is told to an unverified caller.
  const verified = await verify(request, ctx, anchor, now);
  const leaf = verified.leaf;
  const certInfo = sessionTagsFor(leaf);
  audit.certificateSerial = certInfo.serialHex;
  audit.subject = leaf.subject;

  if (params.bodyError) refuse('ValidationException', 'REQUEST_INVALID', params.bodyError);
  const trustAnchorArn = requiredArn(
    params.trustAnchorArn,
    'trustAnchorArn',
    'rolesanywhere',
    'trust-anchor/',
  );
  const profileArn = requiredArn(params.profileArn, 'profileArn', 'rolesanywhere', 'profile/');
  const roleArn = requiredArn(params.roleArn, 'roleArn', 'iam', 'role/');
  const requestedDuration = durationOf(params.durationSeconds);
  const requestedSessionName = sessionNameOf(params.roleSessionName);

  if (!anchor) notFound('trust anchor', trustAnchorArn, resources, resources.trustAnchors);
  if (!anchor.enabled) {
    refuse(
      'AccessDeniedException',
      'TRUST_ANCHOR_DISABLED',
      `trust anchor ${anchor.name} (${anchor.arn}) is disabled; enable it in the template or config`,
    );
  }
  const profile = resources.profiles.find((candidate) => candidate.arn === profileArn);
  if (!profile) return notFound('profile', profileArn, resources, resources.profiles);
  if (!profile.enabled) {
    refuse(
      'AccessDeniedException',
      'PROFILE_DISABLED',
      `profile ${profile.name} (${profile.arn}) is disabled; enable it in the template or config`,
    );
  }
  if (!profile.roleArns.includes(roleArn)) {
    refuse(
      'AccessDeniedException',
      'ROLE_NOT_IN_PROFILE',
      `profile ${profile.name} does not list role ${roleArn}; it lists ${profile.roleArns.join(', ') || 'no roles'}`,
    );
  }
  const role = resources.roles.find((candidate) => candidate.arn === roleArn);
  if (!role) return notFound('role', roleArn, resources, resources.roles);

  if (requestedSessionName !== undefined && !profile.acceptRoleSessionName) {
    refuse(
      'AccessDeniedException',
      'ROLE_SESSION_NAME_NOT_ACCEPTED',
      `profile ${profile.name} does not accept a custom role session name ("${requestedSessionName}"); set AcceptRoleSessionName: true on the profile or leave --role-session-name out`,
    );
  }
  const roleSessionName = requestedSessionName ?? certInfo.serialHex;
  audit.roleSessionName = roleSessionName;

  const duration = Math.min(requestedDuration ?? profile.durationSeconds, profile.durationSeconds);
  if (duration > role.maxSessionDuration) {
    refuse(
      'ValidationException',
      'DURATION_EXCEEDS_ROLE_MAXIMUM',
      `the session duration ${duration} s exceeds the MaxSessionDuration ${role.maxSessionDuration} s of role ${role.name}; raise MaxSessionDuration or lower the profile's DurationSeconds`,
    );
  }

  const decision = evaluateTrustPolicy(
    role.trustPolicy,
    trustPolicyContext(certInfo, anchor, resources.account, roleSessionName, now),
  );
  if (!decision.allowed) {
    refuse(
      'AccessDeniedException',
      'TRUST_POLICY_DENIED',
      `trust policy of role ${role.name} denies the session: ${decision.reason}`,
    );
  }

  const issued = ctx.store.issue({
    expiration: new Date(now.getTime() + duration * 1000),
    account: resources.account,
    roleArn: role.arn,
    roleSessionName,
    assumedRoleArn: assumedRoleArn(resources.account, role.name, roleSessionName, resources.region),
    assumedRoleId: `${role.roleId}:${roleSessionName}`,
    sourceIdentity: certInfo.sourceIdentity,
    tags: certInfo.tags,
    certificateSerial: certInfo.serialHex,
  });
  return {
    credentialSet: [
      {
        assumedRoleUser: { arn: issued.assumedRoleArn, assumedRoleId: issued.assumedRoleId },
        credentials: {
          accessKeyId: issued.accessKeyId,
          secretAccessKey: issued.secretAccessKey,
          sessionToken: issued.sessionToken,
          expiration: isoSeconds(issued.expiration),
        },
        packedPolicySize: packedPolicySize(certInfo.tags, profile),
        roleArn: role.arn,
        sourceIdentity: issued.sourceIdentity,
      },
    ],
    subjectArn: rolesAnywhereArn(
      'subject',
      resources.account,
      resources.region,
      deterministicUuid(resources.account, resources.region, 'subject', leaf.subject),
    ),
  };
}

/**
 * Verifies the signature and the path to the requested anchor's certificates (all anchors'
 * when the ARN names none), with the CRLs imported for that anchor and the unattached ones.
 */
async function verify(
  request: EndpointRequest,
  ctx: CreateSessionContext,
  anchor: TrustAnchor | undefined,
  now: Date,
) {
  const { resources } = ctx;
  const anchors = anchor ? [anchor] : resources.trustAnchors;
  const crls = resources.crls
    .filter(
      (crl) =>
        crl.enabled &&
        (crl.trustAnchorArn === undefined || anchors.some((a) => a.arn === crl.trustAnchorArn)),
    )
    .map((crl) => crl.crl);
  const received = {
    method: request.method,
    path: request.path,
    query: request.query,
    headers: request.headers,
    body: request.body,
  };
  const options = { crls, now, maxSkewSeconds: 300, region: ctx.region, service: 'rolesanywhere' };
  try {
    return await verifyX509Request(received, {
      ...options,
      trustAnchors: anchors.flatMap((a) => a.certificates),
    });
  } catch (error) {
    if (!isAgentError(error)) throw error;
    const response = verifyErrorResponse(error.code);
    let detail = error.message;
    if (error.code === 'CERT_UNTRUSTED' && anchor) {
      const elsewhere = await otherAnchorsOf(received, options, resources.trustAnchors, anchor);
      if (elsewhere.length > 0) {
        detail += `; the certificate chains to trust anchor ${elsewhere.map((a) => `${a.name} (${a.arn})`).join(', ')}, not to the requested ${anchor.name}`;
      }
    }
    const hint = error.hint ? ` (${error.hint})` : '';
    return refuse(response.type, error.code, `${response.awsMessage}: ${detail}${hint}`);
  }
}

/** The anchors a certificate would chain to, for the hint when it does not chain to the named one. */
async function otherAnchorsOf(
  received: Parameters<typeof verifyX509Request>[0],
  options: Omit<Parameters<typeof verifyX509Request>[1], 'trustAnchors'>,
  all: readonly TrustAnchor[],
  requested: TrustAnchor,
): Promise<TrustAnchor[]> {
  const others = all.filter((a) => a !== requested);
  if (others.length === 0) return [];
  try {
    const { trustAnchor } = await verifyX509Request(received, {
      ...options,
      crls: [],
      trustAnchors: others.flatMap((a) => a.certificates),
    });
    return others.filter((a) => a.certificates.some((cert) => sameCertificate(cert, trustAnchor)));
  } catch {
    return [];
  }
}

function sameCertificate(a: X509Certificate, b: X509Certificate): boolean {
  return Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}

function trustPolicyContext(
  certInfo: ReturnType<typeof sessionTagsFor>,
  anchor: TrustAnchor,
  account: string,
  roleSessionName: string,
  now: Date,
): TrustPolicyContext {
  const keys: TrustPolicyContext['keys'] = {
    'aws:SourceArn': anchor.arn,
    'aws:SourceAccount': account,
    'sts:SourceIdentity': certInfo.sourceIdentity,
    'sts:RoleSessionName': roleSessionName,
    'aws:TagKeys': Object.keys(certInfo.tags),
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
  };
  for (const [key, value] of Object.entries(certInfo.tags)) {
    keys[`aws:PrincipalTag/${key}`] = value;
    keys[`aws:RequestTag/${key}`] = value;
  }
  return { keys };
}

/** ARNs and options from the query string, else from the JSON body. */
function readParameters(request: EndpointRequest): SessionRequest {
  let body: Record<string, unknown> = {};
  let bodyError: string | undefined;
  const text = request.body.toString('utf8').trim();
  if (text !== '') {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        body = parsed as Record<string, unknown>;
      else bodyError = 'the request body is not a JSON object';
    } catch {
      bodyError = 'the request body is not JSON (expected {"durationSeconds": N, ...})';
    }
  }
  const pick = (name: string): string | undefined => {
    const fromQuery = request.query[name];
    const value = Array.isArray(fromQuery) ? fromQuery[0] : fromQuery;
    if (value !== undefined && value !== '') return value;
    const fromBody = body[name];
    return typeof fromBody === 'string' ? fromBody : undefined;
  };
  return {
    trustAnchorArn: pick('trustAnchorArn'),
    profileArn: pick('profileArn'),
    roleArn: pick('roleArn'),
    durationSeconds: body.durationSeconds,
    roleSessionName: body.roleSessionName,
    bodyError,
  };
}

function requiredArn(
  value: string | undefined,
  name: string,
  service: string,
  resourcePrefix: string,
): string {
  if (value === undefined) {
    return refuse(
      'ValidationException',
      'REQUEST_INVALID',
      `${name} is missing; send it in the query string or the JSON body`,
    );
  }
  const arn = parseArn(value);
  if (!arn || arn.service !== service || !arn.resource.startsWith(resourcePrefix)) {
    refuse(
      'ValidationException',
      'REQUEST_INVALID',
      `${name} "${value.slice(0, 200)}" is not a ${service} ${resourcePrefix.slice(0, -1)} ARN`,
    );
  }
  return value;
}

function durationOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (
    typeof number !== 'number' ||
    !Number.isInteger(number) ||
    number < MIN_DURATION ||
    number > MAX_DURATION
  ) {
    return refuse(
      'ValidationException',
      'REQUEST_INVALID',
      `durationSeconds ${JSON.stringify(value)} is not a whole number from ${MIN_DURATION} to ${MAX_DURATION}`,
    );
  }
  return number;
}

function sessionNameOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !ROLE_SESSION_NAME.test(value)) {
    return refuse(
      'ValidationException',
      'REQUEST_INVALID',
      `roleSessionName ${JSON.stringify(value).slice(0, 80)} must be 2 to 64 characters of letters, digits and +=,.@_-`,
    );
  }
  return value;
}

function notFound(
  what: string,
  arn: string,
  resources: LocalResources,
  candidates: readonly (TrustAnchor | Profile | Role)[],
): never {
  const parsed = parseArn(arn);
  const elsewhere =
    parsed &&
    (parsed.account !== resources.account || (parsed.region !== '' && parsed.region !== resources.region))
      ? ` (this endpoint serves account ${resources.account} in ${resources.region})`
      : '';
  const known = candidates.map((candidate) => candidate.arn).join(', ') || 'none';
  return refuse(
    'ResourceNotFoundException',
    `${what.replace(/ /g, '_').toUpperCase()}_NOT_FOUND`,
    `${what} ${arn} does not exist${elsewhere}; known: ${known}`,
  );
}

/** The certificate the client presented, for the audit record even when verification fails. */
function presentedCertificate(request: EndpointRequest): { certificateSerial?: string; subject?: string } {
  const header = request.headers['x-amz-x509'];
  if (typeof header !== 'string') return {};
  try {
    const leaf = decodeLeafHeader(header);
    return { certificateSerial: sessionTagsFor(leaf).serialHex, subject: leaf.subject };
  } catch {
    return {};
  }
}

function toRefusal(error: unknown): Refusal {
  if (isRefusal(error)) return error;
  const agentError = isAgentError(error);
  return Object.assign(new Error(agentError ? error.message : 'internal error while creating the session'), {
    name: 'Refusal',
    type: agentError ? ('ValidationException' as const) : ('InternalServerException' as const),
    code: agentError ? error.code : 'INTERNAL_ERROR',
  });
}

/**
 * STS reports how full the packed session tags and policies are, in percent. Its packing is
 * not public: this estimate grows with the tag and policy text so a client sees a plausible,
 * stable number.
 */
function packedPolicySize(tags: Record<string, string>, profile: Profile): number {
  const tagBytes = Object.entries(tags).reduce((sum, [key, value]) => sum + key.length + value.length, 0);
  const policyBytes = (profile.sessionPolicy?.length ?? 0) + profile.managedPolicyArns.join('').length;
  return Math.min(100, Math.ceil((tagBytes + policyBytes) / 20));
}

/** ISO-8601 to the second, as AWS writes expirations. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() };
}
