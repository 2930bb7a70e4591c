import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { AgentError, describeError } from '../errors';
import { MAX_SIGNING_THREADS } from '../pkcs11/native-sign';
import { isPkcs11Uri, parsePkcs11Uri } from '../pkcs11/uri';
import { parseResourceArn } from '../rolesanywhere/arn';
import {
  resolveSessionInput,
  validateDuration,
  validateRoleSessionName,
} from '../rolesanywhere/session-input';
import { type ConfigPath, parseConfigDocument } from './config-document';
import {
  type AgentConfig,
  type AgentLimits,
  DEFAULT_LIMITS,
  type KeySource,
  type Principals,
  type ProfileConfig,
} from './config-types';
import { type PrincipalDirectory, readPrincipalDirectory, resolveId } from './principals';

/** One problem in a config file: where (line, dotted key) and what. */
export interface ConfigIssue {
  line: number;
  key: string;
  message: string;
}

/** A config file that does not validate; `issues` lists every problem, the message the first. */
export class ConfigError extends AgentError {
  readonly issues: readonly ConfigIssue[];
  readonly source: string;

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const first = issues[0];
    const more =
      issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    super('CONFIG_INVALID', `${first ? formatIssue(source, first) : `config ${source} is invalid`}${more}`, {
      hint: `fix the config file and check it with: rolesanywhere-agent agent --config ${source} --check-config`,
    });
    this.name = 'ConfigError';
    this.issues = issues;
    this.source = source;
  }
}

export function formatIssue(source: string, issue: ConfigIssue): string {
  return `${source}:${issue.line}: ${issue.key ? `${issue.key}: ` : ''}${issue.message}`;
}

export interface ConfigOptions {
  /** Name lookups for uids/gids (default /etc/passwd and /etc/group). */
  directory?: PrincipalDirectory;
  /** Check that the files a profile names exist and can be read (default true). */
  checkFiles?: boolean;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CREDENTIAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOP_KEYS = [
  'socket',
  'socketGroup',
  'auditLog',
  'logLevel',
  'tokenCheckSeconds',
  'signingThreads',
  'pkcs11Lib',
  'limits',
  'profiles',
];
const PROFILE_KEYS = [
  'pkcs11',
  'privateKey',
  'certificate',
  'intermediates',
  'pkcs11Lib',
  'pinCredential',
  'trustAnchorArn',
  'profileArn',
  'roleArn',
  'region',
  'endpoint',
  'durationSeconds',
  'roleSessionName',
  'proxy',
  'allow',
  'sign',
];
/** Upper bounds that keep a typo (ms for s) from disabling a limit. */
const LIMIT_MAX: Record<keyof AgentLimits, number> = {
  maxConnections: 65_536,
  headersTimeoutMs: 600_000,
  requestTimeoutMs: 600_000,
  idleTimeoutMs: 3_600_000,
  keepAliveTimeoutMs: 600_000,
  maxHeaderBytes: 64 * 1024,
  drainTimeoutMs: 600_000,
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Reads and validates an agent config file; throws ConfigError listing every problem. */
export function loadAgentConfig(path: string, options: ConfigOptions = {}): AgentConfig {
  const source = resolve(path);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    throw new AgentError('CONFIG_UNREADABLE', `cannot read config ${source}: ${describeError(error)}`, {
      hint: 'give the path of a YAML or JSON config file with --config',
      cause: error,
    });
  }
  return parseAgentConfig(text, source, options);
}

/** Validates config text; relative file paths are taken from the directory of `source`. */
export function parseAgentConfig(text: string, source: string, options: ConfigOptions = {}): AgentConfig {
  const document = parseConfigDocument(text);
  if (document.syntaxErrors.length > 0) {
    throw new ConfigError(
      source,
      document.syntaxErrors.map((error) => ({ line: error.line, key: '', message: error.message })),
    );
  }
  const issues: ConfigIssue[] = [];
  const directory = options.directory ?? readPrincipalDirectory();
  const checkFiles = options.checkFiles ?? true;
  const baseDir = dirname(source);
  const issue = (path: ConfigPath, message: string) =>
    issues.push({ line: document.lineOf(path), key: path.join('.'), message });

  const root = document.value;
  if (!isObject(root)) {
    throw new ConfigError(source, [
      { line: 1, key: '', message: 'the config must be a mapping with a "profiles" key' },
    ]);
  }
  unknownKeys(root, TOP_KEYS, [], issue);

  const read = reader(issue);
  const filePath = (path: ConfigPath, value: string | undefined, what: string): string | undefined => {
    if (value === undefined) return undefined;
    const absolute = isAbsolute(value) ? value : resolve(baseDir, value);
    if (checkFiles) checkReadable(path, absolute, what, issue);
    return absolute;
  };

  const socket = read.string(['socket'], root.socket);
  const socketGroup =
    root.socketGroup === undefined
      ? undefined
      : principal(['socketGroup'], root.socketGroup, directory.gidOf, issue);
  const auditLog = read.string(['auditLog'], root.auditLog);
  const logLevel = read.oneOf(['logLevel'], root.logLevel, LOG_LEVELS) ?? 'info';
  const tokenCheckSeconds = read.integer(['tokenCheckSeconds'], root.tokenCheckSeconds, 0, 86_400) ?? 60;
  const signingThreads = read.integer(['signingThreads'], root.signingThreads, 1, MAX_SIGNING_THREADS);
  const defaultModule = read.string(['pkcs11Lib'], root.pkcs11Lib);
  const limits = readLimits(root.limits, read, issue);

  const profiles = new Map<string, ProfileConfig>();
  if (root.profiles === undefined) {
    issue([], 'no "profiles": the agent needs at least one profile');
  } else if (!isObject(root.profiles)) {
    issue(['profiles'], 'must be a mapping of profile names to profiles');
  } else {
    if (Object.keys(root.profiles).length === 0) issue(['profiles'], 'has no profile');
    for (const [name, body] of Object.entries(root.profiles)) {
      const path = ['profiles', name];
      if (!PROFILE_NAME.test(name)) {
        issue(
          path,
          'a profile name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
        );
        continue;
      }
      if (!isObject(body)) {
        issue(path, 'must be a mapping (trustAnchorArn, profileArn, roleArn, a key, allow)');
        continue;
      }
      const profile = readProfile(name, body, path, {
        read,
        issue,
        filePath,
        directory,
        defaultModule,
        count: () => issues.length,
      });
      if (profile) profiles.set(name, { ...profile, line: document.lineOf(path) });
    }
  }

  if (issues.length > 0) throw new ConfigError(source, issues);
  return {
    source,
    ...(socket === undefined ? {} : { socket: isAbsolute(socket) ? socket : resolve(baseDir, socket) }),
    ...(socketGroup === undefined ? {} : { socketGroup }),
    ...(auditLog === undefined
      ? {}
      : { auditLog: isAbsolute(auditLog) ? auditLog : resolve(baseDir, auditLog) }),
    logLevel,
    tokenCheckSeconds,
    ...(signingThreads === undefined ? {} : { signingThreads }),
    limits,
    profiles,
  };
}

type Issue = (path: ConfigPath, message: string) => void;

function unknownKeys(value: Json, allowed: readonly string[], path: ConfigPath, issue: Issue): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) issue([...path, key], `unknown key (expected one of ${allowed.join(', ')})`);
  }
}

function reader(issue: Issue) {
  return {
    string(path: ConfigPath, value: unknown, required = false): string | undefined {
      if (value === undefined || value === null) {
        if (required) issue(path, 'is required');
        return undefined;
      }
      if (typeof value !== 'string' || value.trim() === '') {
        issue(path, 'must be a non-empty string');
        return undefined;
      }
      return value.trim();
    },
    integer(path: ConfigPath, value: unknown, min: number, max: number): number | undefined {
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        issue(path, `must be a whole number from ${min} to ${max}`);
        return undefined;
      }
      return value;
    },
    boolean(path: ConfigPath, value: unknown): boolean | undefined {
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'boolean') {
        issue(path, 'must be true or false');
        return undefined;
      }
      return value;
    },
    oneOf<T extends string>(path: ConfigPath, value: unknown, choices: readonly T[]): T | undefined {
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string' || !choices.includes(value as T)) {
        issue(path, `must be one of ${choices.join(', ')}`);
        return undefined;
      }
      return value as T;
    },
  };
}

type Reader = ReturnType<typeof reader>;

function readLimits(value: unknown, read: Reader, issue: Issue): AgentLimits {
  const limits = { ...DEFAULT_LIMITS };
  if (value === undefined || value === null) return limits;
  if (!isObject(value)) {
    issue(['limits'], 'must be a mapping');
    return limits;
  }
  const names = Object.keys(DEFAULT_LIMITS) as (keyof AgentLimits)[];
  unknownKeys(value, names, ['limits'], issue);
  for (const name of names) {
    const given = read.integer(['limits', name], value[name], 1, LIMIT_MAX[name]);
    if (given !== undefined) limits[name] = given;
  }
  return limits;
}

function principal(
  path: ConfigPath,
  value: unknown,
  lookup: (name: string) => number | undefined,
  issue: Issue,
): number | undefined {
  const result = resolveId(value, lookup);
  if ('error' in result) {
    issue(path, result.error);
    return undefined;
  }
  return result.id;
}

function readPrincipals(
  value: unknown,
  path: ConfigPath,
  directory: PrincipalDirectory,
  issue: Issue,
): Principals {
  const empty: Principals = { uids: [], gids: [] };
  if (value === undefined || value === null) return empty;
  if (!isObject(value)) {
    issue(path, 'must be a mapping with "uids" and/or "gids" lists');
    return empty;
  }
  unknownKeys(value, ['uids', 'gids'], path, issue);
  const list = (key: 'uids' | 'gids', lookup: (name: string) => number | undefined): number[] => {
    const items = value[key];
    if (items === undefined || items === null) return [];
    if (!Array.isArray(items)) {
      issue([...path, key], `must be a list of ${key === 'uids' ? 'user' : 'group'} names or numbers`);
      return [];
    }
    const ids: number[] = [];
    items.forEach((item, index) => {
      const id = principal([...path, key, index], item, lookup, issue);
      if (id !== undefined && !ids.includes(id)) ids.push(id);
    });
    return ids;
  };
  return { uids: list('uids', directory.uidOf), gids: list('gids', directory.gidOf) };
}

function checkReadable(path: ConfigPath, file: string, what: string, issue: Issue): void {
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    issue(path, `${what} ${file} ${code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`);
  }
}

interface ProfileContext {
  read: Reader;
  issue: Issue;
  filePath: (path: ConfigPath, value: string | undefined, what: string) => string | undefined;
  directory: PrincipalDirectory;
  defaultModule: string | undefined;
  /** Issues reported so far. */
  count: () => number;
}

function readKeySource(body: Json, path: ConfigPath, context: ProfileContext): KeySource | undefined {
  const { read, issue, filePath } = context;
  const at = (key: string) => [...path, key];
  const pkcs11 = read.string(at('pkcs11'), body.pkcs11);
  const privateKey = read.string(at('privateKey'), body.privateKey);
  const certificate = read.string(at('certificate'), body.certificate);
  const intermediates = filePath(
    at('intermediates'),
    read.string(at('intermediates'), body.intermediates),
    'intermediates file',
  );
  const module = read.string(at('pkcs11Lib'), body.pkcs11Lib) ?? context.defaultModule;
  const pinCredential = read.string(at('pinCredential'), body.pinCredential);
  if (pinCredential !== undefined && !CREDENTIAL_NAME.test(pinCredential)) {
    issue(at('pinCredential'), 'must be a systemd credential name (letters, digits, ".", "_", "-")');
  }

  if (pkcs11 !== undefined && privateKey !== undefined) {
    issue(at('privateKey'), 'give the key once: "pkcs11" (a pkcs11: URI) or "privateKey", not both');
    return undefined;
  }
  const uriKey =
    pkcs11 !== undefined
      ? 'pkcs11'
      : privateKey !== undefined && isPkcs11Uri(privateKey)
        ? 'privateKey'
        : undefined;
  if (uriKey) {
    const uri = (pkcs11 ?? privateKey) as string;
    if (!checkUri(at(uriKey), uri, issue)) return undefined;
    const cert =
      certificate === undefined || isPkcs11Uri(certificate)
        ? certificate
        : filePath(at('certificate'), certificate, 'certificate file');
    return {
      kind: 'pkcs11',
      uri,
      ...(cert === undefined ? {} : { certificate: cert }),
      ...(intermediates === undefined ? {} : { intermediates }),
      ...(module === undefined ? {} : { module }),
      ...(pinCredential === undefined ? {} : { pinCredential }),
    };
  }
  if (pinCredential !== undefined) issue(at('pinCredential'), 'applies to keys on a PKCS#11 token only');
  if (certificate === undefined) {
    issue(path, 'has no key: give "pkcs11" (a pkcs11: URI) or "certificate" and "privateKey" files');
    return undefined;
  }
  if (isPkcs11Uri(certificate)) {
    issue(at('certificate'), 'a pkcs11: certificate needs its key on the token too: give "pkcs11"');
    return undefined;
  }
  const cert = filePath(at('certificate'), certificate, 'certificate file');
  const key = filePath(at('privateKey'), privateKey, 'private key file');
  if (cert === undefined) return undefined;
  return {
    kind: 'file',
    certificate: cert,
    ...(key === undefined ? {} : { privateKey: key }),
    ...(intermediates === undefined ? {} : { intermediates }),
  };
}

function checkUri(path: ConfigPath, uri: string, issue: Issue): boolean {
  try {
    const parsed = parsePkcs11Uri(uri);
    if (parsed.pinValue !== undefined) {
      issue(
        path,
        'pin-value is refused in the agent config (anyone who can read the file has the PIN): use pin-source=FILE, a systemd credential (pinCredential) or RA_PKCS11_PIN',
      );
      return false;
    }
    if (parsed.pinSource !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(parsed.pinSource)) {
      try {
        accessSync(parsed.pinSource, constants.R_OK);
      } catch {
        issue(path, `pin-source file ${parsed.pinSource} cannot be read`);
        return false;
      }
    }
    return true;
  } catch (error) {
    issue(path, describeError(error));
    return false;
  }
}

function readProfile(
  name: string,
  body: Json,
  path: ConfigPath,
  context: ProfileContext,
): Omit<ProfileConfig, 'line'> | undefined {
  const { read, issue, directory } = context;
  const at = (key: string) => [...path, key];
  unknownKeys(body, PROFILE_KEYS, path, issue);
  const before = context.count();
  const key = readKeySource(body, path, context);

  const arns = {
    trustAnchorArn: read.string(at('trustAnchorArn'), body.trustAnchorArn, true),
    profileArn: read.string(at('profileArn'), body.profileArn, true),
    roleArn: read.string(at('roleArn'), body.roleArn, true),
  };
  const kinds = { trustAnchorArn: 'trust-anchor', profileArn: 'profile', roleArn: 'role' } as const;
  for (const [field, value] of Object.entries(arns)) {
    if (value === undefined) continue;
    attempt(at(field), issue, () => parseResourceArn(value, kinds[field as keyof typeof kinds]));
  }
  const region = read.string(at('region'), body.region);
  const endpoint = read.string(at('endpoint'), body.endpoint);
  const durationValue = read.integer(at('durationSeconds'), body.durationSeconds, 0, Number.MAX_SAFE_INTEGER);
  const durationSeconds =
    attempt(at('durationSeconds'), issue, () => validateDuration(durationValue)) ?? 3600;
  const roleSessionName = read.string(at('roleSessionName'), body.roleSessionName);
  attempt(at('roleSessionName'), issue, () => validateRoleSessionName(roleSessionName));
  const proxy = read.boolean(at('proxy'), body.proxy) ?? false;
  const allow = readPrincipals(body.allow, at('allow'), directory, issue);
  const sign = readPrincipals(body.sign, at('sign'), directory, issue);
  if ([...allow.uids, ...allow.gids, ...sign.uids, ...sign.gids].length === 0 && body.allow === undefined) {
    issue(path, 'has no "allow" list: no client could use it (add allow: {uids: [...], gids: [...]})');
  }

  if (context.count() !== before || !key || !arns.trustAnchorArn || !arns.profileArn || !arns.roleArn) {
    return undefined;
  }
  // The checks across fields (partitions, regions, endpoint) once each field is fine on its own.
  const crossChecked = attempt(
    region !== undefined ? at('region') : endpoint !== undefined ? at('endpoint') : at('profileArn'),
    issue,
    () =>
      resolveSessionInput({
        trustAnchorArn: arns.trustAnchorArn as string,
        profileArn: arns.profileArn as string,
        roleArn: arns.roleArn as string,
        durationSeconds,
        ...(region === undefined ? {} : { region }),
        ...(endpoint === undefined ? {} : { endpoint }),
      }),
  );
  if (!crossChecked) return undefined;
  return {
    name,
    key,
    trustAnchorArn: arns.trustAnchorArn,
    profileArn: arns.profileArn,
    roleArn: arns.roleArn,
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    durationSeconds,
    ...(roleSessionName === undefined ? {} : { roleSessionName }),
    proxy,
    allow,
    sign,
  };
}

function attempt<T>(path: ConfigPath, issue: Issue, check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    issue(path, describeError(error));
    return undefined;
  }
}
