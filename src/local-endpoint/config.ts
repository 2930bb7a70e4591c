import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { AgentError, describeError } from '../errors';
import { readUserFile } from '../x509/load';
import { parseArn } from './arns';
import { ROLES_ANYWHERE_SERVICE, TRUST_ACTIONS } from './policy';
import { buildCrl, buildProfile, buildRole, buildTrustAnchor, type Scope } from './resource-builders';
import { isRecord } from './template';
import type { Crl, Profile, Role, TrustAnchor } from './types';

/**
 * The endpoint's own resource file, for when there is no CloudFormation template: JSON or
 * YAML, names instead of ARNs, file paths relative to the config file.
 *
 *   region: us-east-1                # optional
 *   account: "123456789012"          # optional
 *   trustAnchors:
 *     - name: edge-ca
 *       certificates: ca.pem         # path or inline PEM, or a list of them
 *       enabled: true                # default true
 *   roles:
 *     - name: EdgeBackupRole
 *       trustPolicy: {...}           # mapping, JSON string or path; default: trust Roles Anywhere
 *       maxSessionDuration: 3600     # default 3600
 *       path: /                      # default /
 *       managedPolicyArns: []
 *   profiles:
 *     - name: edge
 *       roles: [EdgeBackupRole]      # role names (from roles, or the template) or role ARNs
 *       durationSeconds: 3600        # default 3600
 *       enabled: true                # default true
 *       acceptRoleSessionName: false # default false
 *       managedPolicyArns: []
 *       sessionPolicy: {...}         # mapping or JSON string
 *   crls:
 *     - name: edge-crl
 *       crl: crl.pem                 # path or inline PEM
 *       trustAnchor: edge-ca         # anchor name or ARN; omitted: any anchor whose CA issued it
 *       enabled: true                # default true
 */

export interface LocalConfig {
  region?: string;
  account?: string;
  trustAnchors: ConfigTrustAnchor[];
  roles: ConfigRole[];
  profiles: ConfigProfile[];
  crls: ConfigCrl[];
  /** Directory relative paths are resolved against. */
  baseDir: string;
  source: string;
}

export interface ConfigTrustAnchor {
  name: string;
  certificates: string | string[];
  enabled?: boolean;
}

export interface ConfigRole {
  name: string;
  trustPolicy?: unknown;
  maxSessionDuration?: number;
  path?: string;
  managedPolicyArns?: string[];
}

export interface ConfigProfile {
  name: string;
  roles: string[];
  durationSeconds?: number;
  enabled?: boolean;
  acceptRoleSessionName?: boolean;
  managedPolicyArns?: string[];
  sessionPolicy?: unknown;
}

export interface ConfigCrl {
  name: string;
  crl: string;
  trustAnchor?: string;
  enabled?: boolean;
}

const SECTION_KEYS: Record<string, readonly string[]> = {
  trustAnchors: ['name', 'certificates', 'enabled'],
  roles: ['name', 'trustPolicy', 'maxSessionDuration', 'path', 'managedPolicyArns'],
  profiles: [
    'name',
    'roles',
    'durationSeconds',
    'enabled',
    'acceptRoleSessionName',
    'managedPolicyArns',
    'sessionPolicy',
  ],
  crls: ['name', 'crl', 'trustAnchor', 'enabled'],
};

const REQUIRED_KEYS: Record<string, readonly string[]> = {
  trustAnchors: ['name', 'certificates'],
  roles: ['name'],
  profiles: ['name', 'roles'],
  crls: ['name', 'crl'],
};

/** Reads and checks the shape of a config file (values are checked when resources are built). */
export function readConfig(path: string): LocalConfig {
  return parseConfig(readUserFile(path, 'config file').toString('utf8'), path, dirname(resolve(path)));
}

export function parseConfig(text: string, source: string, baseDir: string): LocalConfig {
  const bad = (why: string, hint: string): never => {
    throw new AgentError('CONFIG_INVALID', `config ${source}: ${why}`, { hint });
  };
  let document: unknown;
  try {
    document = parse(text, { prettyErrors: true });
  } catch (error) {
    return bad(
      `not valid YAML or JSON: ${describeError(error)}`,
      'check the indentation around the line named',
    );
  }
  if (!isRecord(document))
    return bad('is not a mapping', 'the config has keys trustAnchors, profiles, roles, crls');
  const allowed = ['region', 'account', ...Object.keys(SECTION_KEYS)];
  for (const key of Object.keys(document)) {
    if (!allowed.includes(key)) bad(`unknown key ${key}`, `the keys are: ${allowed.join(', ')}`);
  }
  for (const key of ['region', 'account'] as const) {
    const value = document[key];
    if (value !== undefined && typeof value !== 'string' && typeof value !== 'number')
      bad(`${key} must be a string`, `write ${key}: "..."`);
  }
  const section = (name: string): Record<string, unknown>[] => {
    const value = document[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return bad(`${name} must be a list`, `write ${name}:\\n  - name: ...`);
    return value.map((item, index) => {
      const where = `${name}[${index}]`;
      if (!isRecord(item))
        return bad(`${where} is not a mapping`, 'each entry is a mapping with at least a name');
      for (const key of Object.keys(item)) {
        if (!SECTION_KEYS[name]?.includes(key))
          bad(`${where} has unknown key ${key}`, `the keys are: ${SECTION_KEYS[name]?.join(', ')}`);
      }
      for (const key of REQUIRED_KEYS[name] ?? []) {
        if (item[key] === undefined) bad(`${where} has no ${key}`, `add ${key} to ${where}`);
      }
      if (typeof item.name !== 'string' || item.name === '')
        bad(`${where}.name must be a non-empty string`, 'names become the logical ids of the resources');
      return item;
    });
  };
  return {
    ...(document.region === undefined ? {} : { region: String(document.region) }),
    ...(document.account === undefined ? {} : { account: String(document.account) }),
    trustAnchors: section('trustAnchors') as unknown as ConfigTrustAnchor[],
    roles: section('roles') as unknown as ConfigRole[],
    profiles: section('profiles') as unknown as ConfigProfile[],
    crls: section('crls') as unknown as ConfigCrl[],
    baseDir,
    source,
  };
}

/** What is already known (from a template) that config entries may refer to by name. */
export interface KnownResources {
  trustAnchors: TrustAnchor[];
  roles: Role[];
}

export interface ConfigResources {
  trustAnchors: TrustAnchor[];
  profiles: Profile[];
  roles: Role[];
  crls: Crl[];
}

const DEFAULT_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: ROLES_ANYWHERE_SERVICE }, Action: [...TRUST_ACTIONS] },
  ],
};

export function resourcesFromConfig(
  config: LocalConfig,
  known: KnownResources,
  scope: Scope,
): ConfigResources {
  const where = (section: string, name: string) => `config ${config.source}: ${section} ${name}`;
  const readPathOrPem = (value: string, what: string): string =>
    value.includes('-----BEGIN ')
      ? value
      : readUserFile(absolute(config.baseDir, value), what).toString('latin1');

  const trustAnchors = config.trustAnchors.map((entry) => {
    const sources = Array.isArray(entry.certificates) ? entry.certificates : [entry.certificates];
    const pem = sources
      .map((source) => readPathOrPem(String(source), `certificates of trust anchor ${entry.name}`))
      .join('\n');
    return buildTrustAnchor(
      {
        logicalId: entry.name,
        name: entry.name,
        enabled: booleanOr(entry.enabled, true, where('trust anchor', entry.name)),
        certificateData: pem,
      },
      scope,
    );
  });

  const roles = config.roles.map((entry) =>
    buildRole(
      {
        logicalId: entry.name,
        name: entry.name,
        path: entry.path ?? '/',
        trustPolicy: trustPolicyOf(entry, config),
        ...(entry.maxSessionDuration === undefined ? {} : { maxSessionDuration: entry.maxSessionDuration }),
        managedPolicyArns: entry.managedPolicyArns ?? [],
      },
      scope,
    ),
  );

  const allRoles = [...known.roles, ...roles];
  const profiles = config.profiles.map((entry) =>
    buildProfile(
      {
        logicalId: entry.name,
        name: entry.name,
        enabled: booleanOr(entry.enabled, true, where('profile', entry.name)),
        ...(entry.durationSeconds === undefined ? {} : { durationSeconds: entry.durationSeconds }),
        roleArns: entry.roles.map((role) => roleArnFor(String(role), allRoles, where('profile', entry.name))),
        acceptRoleSessionName: booleanOr(entry.acceptRoleSessionName, false, where('profile', entry.name)),
        managedPolicyArns: entry.managedPolicyArns ?? [],
        ...(entry.sessionPolicy === undefined
          ? {}
          : {
              sessionPolicy:
                typeof entry.sessionPolicy === 'string'
                  ? entry.sessionPolicy
                  : JSON.stringify(entry.sessionPolicy),
            }),
      },
      scope,
    ),
  );

  const allAnchors = [...known.trustAnchors, ...trustAnchors];
  const crls = config.crls.map((entry) =>
    buildCrl(
      {
        logicalId: entry.name,
        name: entry.name,
        enabled: booleanOr(entry.enabled, true, where('CRL', entry.name)),
        trustAnchorArn:
          entry.trustAnchor === undefined
            ? undefined
            : trustAnchorArnFor(entry.trustAnchor, allAnchors, where('CRL', entry.name)),
        data: entry.crl.includes('-----BEGIN ')
          ? entry.crl
          : readUserFile(absolute(config.baseDir, entry.crl), `CRL ${entry.name}`),
      },
      scope,
    ),
  );
  return { trustAnchors, profiles, roles, crls };
}

function trustPolicyOf(entry: ConfigRole, config: LocalConfig): unknown {
  const policy = entry.trustPolicy;
  if (policy === undefined) return DEFAULT_TRUST_POLICY;
  if (typeof policy !== 'string' || policy.trim().startsWith('{')) return policy;
  // A string that is not JSON names a policy file (JSON or YAML).
  const path = absolute(config.baseDir, policy);
  if (!existsSync(path)) {
    throw new AgentError(
      'CONFIG_INVALID',
      `config ${config.source}: trustPolicy of role ${entry.name} is neither JSON nor an existing file`,
      {
        hint: 'give the trust policy as a mapping, a JSON string, or the path of a JSON/YAML file',
      },
    );
  }
  return parse(readUserFile(path, `trust policy of role ${entry.name}`).toString('utf8'));
}

function roleArnFor(nameOrArn: string, roles: Role[], where: string): string {
  if (parseArn(nameOrArn)) return nameOrArn;
  const role = roles.find((candidate) => candidate.name === nameOrArn || candidate.logicalId === nameOrArn);
  if (!role) {
    throw new AgentError('CONFIG_INVALID', `${where} lists role ${nameOrArn}, which is not defined`, {
      hint: `define it under roles, or give its ARN; known roles: ${roles.map((candidate) => candidate.name).join(', ') || 'none'}`,
    });
  }
  return role.arn;
}

function trustAnchorArnFor(nameOrArn: string, anchors: TrustAnchor[], where: string): string {
  if (parseArn(nameOrArn)) return nameOrArn;
  const anchor = anchors.find(
    (candidate) => candidate.name === nameOrArn || candidate.logicalId === nameOrArn,
  );
  if (!anchor) {
    throw new AgentError('CONFIG_INVALID', `${where} names trust anchor ${nameOrArn}, which is not defined`, {
      hint: `known trust anchors: ${anchors.map((candidate) => candidate.name).join(', ') || 'none'}`,
    });
  }
  return anchor.arn;
}

function booleanOr(value: unknown, fallback: boolean, where: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new AgentError('CONFIG_INVALID', `${where}: expected true or false, got ${JSON.stringify(value)}`, {
      hint: 'write true or false',
    });
  }
  return value;
}

function absolute(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
