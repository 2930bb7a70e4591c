import { AgentError, describeError } from '../errors';
import { loadCertificates } from '../x509/load';
import { type X509Certificate, x509 } from '../x509/x509';
import { normalizeRolePath, resourceId, roleArn, roleId, rolesAnywhereArn } from './arns';
import { normalizePolicyDocument, ROLES_ANYWHERE_SERVICE } from './policy';
import type { Crl, PolicyDocument, Profile, Role, TrustAnchor } from './types';

/**
 * The one place that turns plain values (from a template or from the config file) into the
 * endpoint's resources, with the checks the real service makes when they are created.
 */

export interface Scope {
  account: string;
  region: string;
  warnings: string[];
}

export const DEFAULT_PROFILE_DURATION = 3600;
export const MIN_DURATION = 900;
export const MAX_DURATION = 43200;

export interface TrustAnchorInput {
  logicalId: string;
  name: string;
  enabled: boolean;
  /** PEM text (one or more CA certificates) or base64 DER. */
  certificateData: string;
}

export function buildTrustAnchor(input: TrustAnchorInput, scope: Scope): TrustAnchor {
  const what = `trust anchor ${input.logicalId}`;
  const certificates = caCertificates(input.certificateData, what);
  const trustAnchorId = resourceId('trust-anchor', scope.account, scope.region, input.logicalId);
  return {
    logicalId: input.logicalId,
    trustAnchorId,
    arn: rolesAnywhereArn('trust-anchor', scope.account, scope.region, trustAnchorId),
    name: input.name,
    enabled: input.enabled,
    certificates,
  };
}

/** CA certificates of an anchor, refused as CreateTrustAnchor refuses them. */
export function caCertificates(data: string, what: string): X509Certificate[] {
  const text = data.trim();
  let certificates: X509Certificate[];
  if (text.includes('-----BEGIN ')) {
    certificates = loadCertificates(text, `CA certificate of ${what}`);
  } else {
    try {
      certificates = [new x509.X509Certificate(new Uint8Array(Buffer.from(text, 'base64')))];
    } catch (error) {
      throw new AgentError(
        'TRUST_ANCHOR_INVALID',
        `${what}: X509CertificateData is neither PEM nor base64 DER (${describeError(error)})`,
        {
          hint: 'give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----), e.g. --parameter CACertificateBody=@ca.pem',
          cause: error,
        },
      );
    }
  }
  for (const cert of certificates) assertCaCertificate(cert, what);
  return certificates;
}

function assertCaCertificate(cert: X509Certificate, what: string): void {
  const bad = (why: string, hint: string): never => {
    throw new AgentError('TRUST_ANCHOR_INVALID', `${what}: certificate "${cert.subject}" ${why}`, { hint });
  };
  if (!cert.getExtension(x509.BasicConstraintsExtension)?.ca) {
    bad(
      'is not a CA certificate (basicConstraints CA:TRUE missing)',
      'give the certificate of the CA that issues your workload certificates, not a leaf',
    );
  }
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  if (usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    bad(
      'does not allow keyCertSign',
      'Roles Anywhere needs keyUsage keyCertSign on trust anchor certificates',
    );
  }
  const hash = (cert.signatureAlgorithm as { hash?: { name?: string } }).hash?.name?.toUpperCase() ?? '';
  if (hash === 'SHA-1' || hash === 'MD5')
    bad(`is signed with ${hash}`, 'Roles Anywhere accepts SHA-256 or stronger signatures only');
}

export interface ProfileInput {
  logicalId: string;
  name: string;
  enabled: boolean;
  durationSeconds?: number;
  roleArns: string[];
  acceptRoleSessionName?: boolean;
  managedPolicyArns?: string[];
  sessionPolicy?: string;
}

export function buildProfile(input: ProfileInput, scope: Scope): Profile {
  const durationSeconds = input.durationSeconds ?? DEFAULT_PROFILE_DURATION;
  if (
    !Number.isInteger(durationSeconds) ||
    durationSeconds < MIN_DURATION ||
    durationSeconds > MAX_DURATION
  ) {
    throw new AgentError(
      'PROFILE_INVALID',
      `profile ${input.logicalId}: DurationSeconds ${durationSeconds} is outside ${MIN_DURATION}..${MAX_DURATION}`,
      {
        hint: `set a whole number of seconds from ${MIN_DURATION} to ${MAX_DURATION} (default ${DEFAULT_PROFILE_DURATION})`,
      },
    );
  }
  if (input.roleArns.length === 0) {
    throw new AgentError('PROFILE_INVALID', `profile ${input.logicalId} lists no roles`, {
      hint: 'set RoleArns to the ARNs of the roles workloads may assume through this profile',
    });
  }
  const profileId = resourceId('profile', scope.account, scope.region, input.logicalId);
  return {
    logicalId: input.logicalId,
    profileId,
    arn: rolesAnywhereArn('profile', scope.account, scope.region, profileId),
    name: input.name,
    enabled: input.enabled,
    durationSeconds,
    roleArns: input.roleArns,
    acceptRoleSessionName: input.acceptRoleSessionName ?? false,
    managedPolicyArns: input.managedPolicyArns ?? [],
    ...(input.sessionPolicy === undefined ? {} : { sessionPolicy: input.sessionPolicy }),
  };
}

export interface RoleInput {
  logicalId: string;
  name: string;
  path?: string;
  trustPolicy: unknown;
  maxSessionDuration?: number;
  managedPolicyArns?: string[];
}

export function buildRole(input: RoleInput, scope: Scope): Role {
  const what = `trust policy of role ${input.name}`;
  const trustPolicy = normalizePolicyDocument(input.trustPolicy, what);
  const maxSessionDuration = input.maxSessionDuration ?? 3600;
  if (
    !Number.isInteger(maxSessionDuration) ||
    maxSessionDuration < 3600 ||
    maxSessionDuration > MAX_DURATION
  ) {
    throw new AgentError(
      'ROLE_INVALID',
      `role ${input.name}: MaxSessionDuration ${maxSessionDuration} is outside 3600..${MAX_DURATION}`,
      {
        hint: 'IAM accepts 3600 to 43200 seconds (default 3600)',
      },
    );
  }
  if (!input.name || !/^[\w+=,.@-]{1,64}$/.test(input.name)) {
    throw new AgentError(
      'ROLE_INVALID',
      `role ${input.logicalId}: "${input.name}" is not a valid role name`,
      {
        hint: 'role names are 1-64 characters of letters, digits and +=,.@_-',
      },
    );
  }
  if (!trustsRolesAnywhere(trustPolicy)) {
    scope.warnings.push(
      `role ${input.name}: its trust policy has no Allow statement for ${ROLES_ANYWHERE_SERVICE}, so CreateSession will be denied`,
    );
  }
  return {
    logicalId: input.logicalId,
    name: input.name,
    arn: roleArn(scope.account, input.name, normalizeRolePath(input.path ?? '/'), scope.region),
    roleId: roleId(scope.account, input.logicalId),
    trustPolicy,
    managedPolicyArns: input.managedPolicyArns ?? [],
    maxSessionDuration,
  };
}

function trustsRolesAnywhere(policy: PolicyDocument): boolean {
  return policy.Statement.some((statement) => {
    if (statement.Effect !== 'Allow') return false;
    const principal = statement.Principal as { Service?: unknown; AWS?: unknown } | string | undefined;
    if (principal === '*') return true;
    if (!principal || typeof principal !== 'object') return false;
    const services = Array.isArray(principal.Service) ? principal.Service : [principal.Service];
    return services.includes(ROLES_ANYWHERE_SERVICE) || principal.AWS === '*';
  });
}

export interface CrlInput {
  logicalId: string;
  name: string;
  enabled: boolean;
  trustAnchorArn: string | undefined;
  /** PEM text, base64 DER (CloudFormation CrlData) or DER bytes. */
  data: string | Uint8Array;
}

export function buildCrl(input: CrlInput, scope: Scope): Crl {
  const crlId = resourceId('crl', scope.account, scope.region, input.logicalId);
  return {
    logicalId: input.logicalId,
    crlId,
    arn: rolesAnywhereArn('crl', scope.account, scope.region, crlId),
    name: input.name,
    enabled: input.enabled,
    trustAnchorArn: input.trustAnchorArn,
    crl: parseCrl(input.data, `CRL ${input.logicalId}`),
  };
}

/** A CRL from PEM text, base64 DER, base64 of PEM, or raw DER. */
export function parseCrl(data: string | Uint8Array, what: string): x509.X509Crl {
  try {
    if (typeof data !== 'string') {
      const text = Buffer.from(data).toString('latin1');
      return text.includes('-----BEGIN ') ? new x509.X509Crl(text) : new x509.X509Crl(new Uint8Array(data));
    }
    const text = data.trim();
    if (text.includes('-----BEGIN ')) return new x509.X509Crl(text);
    const decoded = Buffer.from(text, 'base64');
    const decodedText = decoded.toString('latin1');
    return decodedText.includes('-----BEGIN ')
      ? new x509.X509Crl(decodedText)
      : new x509.X509Crl(new Uint8Array(decoded));
  } catch (error) {
    throw new AgentError('CRL_INVALID', `${what} is not an X.509 CRL (${describeError(error)})`, {
      hint: 'give the CRL as PEM (-----BEGIN X509 CRL-----) or DER, e.g. from `openssl ca -gencrl`',
      cause: error,
    });
  }
}

/** true/false, also as the strings CloudFormation parameters produce. */
export function toBoolean(value: unknown, what: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new AgentError('TEMPLATE_VALUE', `${what} must be true or false, got ${JSON.stringify(value)}`, {
    hint: 'write true or false',
  });
}

export function toInteger(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new AgentError('TEMPLATE_VALUE', `${what} must be a whole number, got ${JSON.stringify(value)}`, {
      hint: 'write a number of seconds such as 3600',
    });
  }
  return number;
}

export function toStringList(value: unknown, what: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (typeof item !== 'string') {
      throw new AgentError(
        'TEMPLATE_VALUE',
        `${what} must be a list of strings, found ${JSON.stringify(item)}`,
        {
          hint: 'list ARNs as strings',
        },
      );
    }
    return item;
  });
}
