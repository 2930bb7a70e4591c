import { BlockList, isIP } from 'node:net';
import { AgentError } from '../errors';
import { isRecord } from './template';
import type { PolicyDocument, PolicyStatement } from './types';

/**
 * Role trust policy evaluation, as IAM does it for the Roles Anywhere service principal:
 * every action Roles Anywhere asks for must be allowed by some statement and denied by none.
 * Within a statement all operators and keys must hold (AND); the values listed for one key
 * are alternatives (OR). Reasons name the statement and the condition that failed.
 */

export const ROLES_ANYWHERE_SERVICE = 'rolesanywhere.amazonaws.com';

/** CreateSession assumes the role, tags the session and sets its source identity: all three must be trusted. */
export const TRUST_ACTIONS = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'] as const;

export type ConditionValue = string | readonly string[];

export interface TrustPolicyContext {
  /** Condition keys of the request (names are matched case-insensitively). */
  keys: Record<string, ConditionValue | undefined>;
  /** The calling service principal; Roles Anywhere's by default. */
  service?: string;
  /** Actions that must all be allowed; TRUST_ACTIONS by default. */
  actions?: readonly string[];
}

export interface PolicyDecision {
  allowed: boolean;
  reason: string;
}

const OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
]);

/** Negated operators hold when the key is absent, and otherwise when no listed value matches. */
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NotIpAddress: 'IpAddress',
};

interface ParsedOperator {
  text: string;
  qualifier: 'ForAnyValue' | 'ForAllValues' | undefined;
  base: string;
  ifExists: boolean;
}

function parseOperator(text: string): ParsedOperator | undefined {
  let rest = text;
  let qualifier: ParsedOperator['qualifier'];
  for (const prefix of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      qualifier = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  const ifExists = rest.endsWith('IfExists') && rest !== 'IfExists';
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  if (!OPERATORS.has(base) || (base === 'Null' && ifExists)) return undefined;
  return { text, qualifier, base, ifExists };
}

/**
 * Checks the shape of a parsed policy document (a single Statement object is accepted, as IAM
 * does) and returns it normalized. Errors name `where` (which role) and the statement.
 */
export function normalizePolicyDocument(raw: unknown, where: string): PolicyDocument {
  const bad = (why: string, hint: string): never => {
    throw new AgentError('POLICY_INVALID', `${where}: ${why}`, { hint });
  };
  let document = raw;
  if (typeof raw === 'string') {
    try {
      document = JSON.parse(raw);
    } catch {
      bad(
        'the policy is a string but not JSON',
        'give the policy as a YAML/JSON mapping or as a JSON string',
      );
    }
  }
  if (!isRecord(document)) return bad('the policy is not a mapping', 'a policy has Version and Statement');
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (document.Statement === undefined || statements.length === 0)
    bad('the policy has no Statement', 'add at least one statement');
  const normalized: PolicyStatement[] = statements.map((statement, index) => {
    const label = `statement ${index + 1}`;
    if (!isRecord(statement))
      return bad(`${label} is not a mapping`, 'each statement has Effect, Principal, Action');
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
      bad(
        `${label} has Effect ${JSON.stringify(statement.Effect)}`,
        'Effect must be Allow or Deny (case-sensitive)',
      );
    }
    if (statement.Action === undefined && statement.NotAction === undefined)
      bad(`${label} has no Action`, 'list sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity');
    if (statement.Condition !== undefined) checkConditionBlock(statement.Condition, `${label}`, bad);
    return statement as unknown as PolicyStatement;
  });
  return {
    ...(typeof document.Version === 'string' ? { Version: document.Version } : {}),
    Statement: normalized,
  };
}

function checkConditionBlock(
  condition: unknown,
  label: string,
  bad: (why: string, hint: string) => never,
): void {
  if (!isRecord(condition))
    bad(`${label} has a Condition that is not a mapping`, 'write Condition: { Operator: { key: value } }');
  for (const [operator, block] of Object.entries(condition)) {
    if (!parseOperator(operator)) {
      bad(
        `${label} uses unknown condition operator ${operator}`,
        'use an IAM operator such as StringEquals, StringLike, ArnEquals, Null, Bool (optionally with IfExists, ForAnyValue:, ForAllValues:)',
      );
    }
    if (!isRecord(block))
      bad(
        `${label}: ${operator} is not a mapping of keys to values`,
        'write Operator: { "aws:PrincipalTag/x509Subject/OU": "value" }',
      );
  }
}

/** Evaluates a role trust policy for a Roles Anywhere CreateSession. */
export function evaluateTrustPolicy(policy: PolicyDocument, context: TrustPolicyContext): PolicyDecision {
  const service = context.service ?? ROLES_ANYWHERE_SERVICE;
  const actions = context.actions ?? TRUST_ACTIONS;
  const keys = lowerCaseKeys(context.keys);
  const allowedBy: string[] = [];
  for (const action of actions) {
    const decision = decideAction(policy, service, action, keys);
    if (!decision.allowed) return decision;
    allowedBy.push(decision.reason);
  }
  return { allowed: true, reason: [...new Set(allowedBy)].join('; ') };
}

function decideAction(
  policy: PolicyDocument,
  service: string,
  action: string,
  keys: Map<string, ConditionValue>,
): PolicyDecision {
  const failures: string[] = [];
  let allowedBy: string | undefined;
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  for (const [index, statement] of statements.entries()) {
    const label = statement.Sid ? `statement ${index + 1} (Sid ${statement.Sid})` : `statement ${index + 1}`;
    if (!principalMatches(statement, service) || !actionMatches(statement, action)) continue;
    const failure = conditionFailure(statement.Condition, keys);
    if (statement.Effect === 'Deny') {
      if (failure === undefined)
        return { allowed: false, reason: `${label} explicitly denies ${action} to ${service}` };
    } else if (failure === undefined) {
      allowedBy ??= `${action} allowed by ${label}`;
    } else {
      failures.push(`${label}: ${failure}`);
    }
  }
  if (allowedBy) return { allowed: true, reason: allowedBy };
  if (failures.length > 0)
    return { allowed: false, reason: `no statement allows ${action}: ${failures.join('; ')}` };
  return { allowed: false, reason: `no statement allows ${service} to perform ${action}` };
}

function principalMatches(statement: PolicyStatement, service: string): boolean {
  const raw = statement as unknown as Record<string, unknown>;
  if (raw.NotPrincipal !== undefined) return !principalListed(raw.NotPrincipal, service);
  return principalListed(statement.Principal, service);
}

function principalListed(principal: unknown, service: string): boolean {
  if (principal === '*') return true;
  if (!isRecord(principal)) return false;
  if (toStrings(principal.AWS).includes('*')) return true;
  return toStrings(principal.Service).some((name) => name.toLowerCase() === service.toLowerCase());
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  const raw = statement as unknown as Record<string, unknown>;
  const matches = (patterns: unknown) =>
    toStrings(patterns).some((pattern) => globMatch(pattern.toLowerCase(), action.toLowerCase()));
  if (raw.NotAction !== undefined) return !matches(raw.NotAction);
  return matches(statement.Action);
}

/** Undefined when every condition holds, else a sentence naming the first that does not. */
function conditionFailure(
  condition: PolicyStatement['Condition'],
  keys: Map<string, ConditionValue>,
): string | undefined {
  if (!condition) return undefined;
  for (const [operatorText, block] of Object.entries(condition)) {
    const operator = parseOperator(operatorText);
    if (!operator) return `unknown condition operator ${operatorText}`;
    for (const [key, rawValues] of Object.entries(block ?? {})) {
      const policyValues = toStrings(rawValues).map((value) => substituteVariables(value, keys));
      const contextValue = keys.get(key.toLowerCase());
      if (!conditionHolds(operator, policyValues, contextValue)) {
        return `condition ${operatorText} ${key} failed: the request has ${describeValue(contextValue)}, the policy ${
          operator.base in NEGATED ? 'excludes' : operator.base === 'Null' ? 'wants Null' : 'wants'
        } ${policyValues.map((value) => JSON.stringify(value ?? '(missing variable)')).join(' or ')}`;
      }
    }
  }
  return undefined;
}

function conditionHolds(
  operator: ParsedOperator,
  policyValues: (string | undefined)[],
  contextValue: ConditionValue | undefined,
): boolean {
  const present = contextValue !== undefined && (typeof contextValue === 'string' || contextValue.length > 0);
  if (operator.base === 'Null') {
    const wantsAbsent = policyValues.some((value) => value?.toLowerCase() === 'true');
    return wantsAbsent ? !present : present;
  }
  const positive = NEGATED[operator.base] ?? operator.base;
  const negated = positive !== operator.base;
  const matchesAny = (value: string) =>
    policyValues.some((wanted) => wanted !== undefined && matchValue(positive, wanted, value));
  // A value satisfies the operator when it matches one listed value (or, negated, none of them).
  const satisfies = (value: string) => (negated ? !matchesAny(value) : matchesAny(value));
  const values =
    contextValue === undefined ? [] : typeof contextValue === 'string' ? [contextValue] : [...contextValue];

  if (operator.qualifier === 'ForAllValues') return values.every(satisfies);
  if (operator.qualifier === 'ForAnyValue') return values.some(satisfies);
  if (!present) return operator.ifExists || negated;
  return negated ? values.every(satisfies) : values.some(satisfies);
}

function matchValue(operator: string, wanted: string, actual: string): boolean {
  switch (operator) {
    case 'StringEquals':
    case 'BinaryEquals':
      return wanted === actual;
    case 'StringEqualsIgnoreCase':
      return wanted.toLowerCase() === actual.toLowerCase();
    case 'StringLike':
      return globMatch(wanted, actual);
    case 'Bool':
      return wanted.toLowerCase() === actual.toLowerCase();
    case 'ArnEquals':
    case 'ArnLike':
      return arnMatch(wanted, actual);
    case 'IpAddress':
      return ipMatch(wanted, actual);
    default:
      if (operator.startsWith('Numeric'))
        return compareWith(operator.slice('Numeric'.length), Number(actual), Number(wanted));
      if (operator.startsWith('Date'))
        return compareWith(operator.slice('Date'.length), parseDate(actual), parseDate(wanted));
      return false;
  }
}

function compareWith(comparison: string, actual: number, wanted: number): boolean {
  if (Number.isNaN(actual) || Number.isNaN(wanted)) return false;
  switch (comparison) {
    case 'Equals':
      return actual === wanted;
    case 'LessThan':
      return actual < wanted;
    case 'LessThanEquals':
      return actual <= wanted;
    case 'GreaterThan':
      return actual > wanted;
    case 'GreaterThanEquals':
      return actual >= wanted;
    default:
      return false;
  }
}

/** ISO-8601 or epoch seconds, as IAM date conditions accept. */
function parseDate(text: string): number {
  return /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
}

/** IAM wildcards: `*` any run of characters, `?` exactly one. Case-sensitive. */
export function globMatch(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/** ArnLike / ArnEquals: each of the six colon-separated parts is matched on its own. */
function arnMatch(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const patternParts = splitArn(pattern);
  const arnParts = splitArn(arn);
  // Fewer than six parts on either side is not an ARN: nothing matches it.
  if (!patternParts || !arnParts) return false;
  return patternParts.every((part, index) => globMatch(part, arnParts[index] ?? ''));
}

function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function ipMatch(cidr: string, address: string): boolean {
  const [network = '', prefix] = cidr.split('/');
  const family = isIP(network);
  if (family === 0 || isIP(address) === 0) return false;
  const list = new BlockList();
  const type = family === 6 ? 'ipv6' : 'ipv4';
  list.addSubnet(network, prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix), type);
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** ${aws:PrincipalTag/x} in policy values; ${*}, ${?}, ${$} stand for the characters. Undefined when a variable is missing. */
function substituteVariables(value: string, keys: Map<string, ConditionValue>): string | undefined {
  let missing = false;
  const result = value.replace(/\$\{([^}]+)\}/g, (_whole, inner: string) => {
    if (inner === '*' || inner === '?' || inner === '$') return inner;
    const [name = '', fallback] = inner.split(/\s*,\s*/, 2);
    const found = keys.get(name.trim().toLowerCase());
    if (typeof found === 'string') return found;
    if (fallback !== undefined) return fallback.replace(/^'(.*)'$/, '$1');
    missing = true;
    return '';
  });
  return missing ? undefined : result;
}

function describeValue(value: ConditionValue | undefined): string {
  if (value === undefined) return 'no value for it';
  if (typeof value === 'string') return JSON.stringify(value);
  return value.length === 0 ? 'no value for it' : `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
}

function lowerCaseKeys(keys: TrustPolicyContext['keys']): Map<string, ConditionValue> {
  const map = new Map<string, ConditionValue>();
  for (const [key, value] of Object.entries(keys)) if (value !== undefined) map.set(key.toLowerCase(), value);
  return map;
}

/** Policy values as strings: YAML may have given numbers or booleans. */
function toStrings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (typeof item === 'string' ? item : String(item)));
}
