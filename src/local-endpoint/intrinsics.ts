import { AgentError } from '../errors';
import { isRecord } from './template';

/**
 * CloudFormation intrinsic functions, resolved offline. Templates reach here with every short
 * form turned into its long form (see template.ts). What a resource answers to Ref and GetAtt
 * is the caller's business (`ref`, `getAtt`), so this file knows nothing of resource types.
 */

/** What `{"Ref": "AWS::NoValue"}` resolves to: the property or list item is dropped. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export interface IntrinsicContext {
  /** AWS::Region, AWS::AccountId, AWS::Partition, ... */
  pseudo: Record<string, string | string[]>;
  /** Parameter values after defaults; list parameters as arrays. */
  parameters: Record<string, string | string[]>;
  mappings: Record<string, unknown>;
  region: string;
  condition(name: string, where: string): boolean;
  hasResource(logicalId: string): boolean;
  ref(logicalId: string, where: string): unknown;
  getAtt(logicalId: string, attribute: string, where: string): unknown;
}

const FUNCTIONS = new Set([
  'Ref',
  'Condition',
  'Fn::GetAtt',
  'Fn::Sub',
  'Fn::Join',
  'Fn::Select',
  'Fn::Split',
  'Fn::FindInMap',
  'Fn::If',
  'Fn::Equals',
  'Fn::And',
  'Fn::Or',
  'Fn::Not',
  'Fn::Base64',
  'Fn::GetAZs',
  'Fn::ImportValue',
  'Fn::Cidr',
  'Fn::Transform',
  'Fn::ToJsonString',
  'Fn::Length',
]);

/** The function name when `value` is a one-key intrinsic call. */
function intrinsicName(value: Record<string, unknown>): string | undefined {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] !== undefined && FUNCTIONS.has(keys[0]) ? keys[0] : undefined;
}

function fail(where: string, message: string, hint: string): never {
  throw new AgentError('TEMPLATE_INTRINSIC', `${where}: ${message}`, { hint });
}

/** Resolves every intrinsic in `value`; NO_VALUE only at the top when the whole value is dropped. */
export function resolveIntrinsics(value: unknown, ctx: IntrinsicContext, where: string): unknown {
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    value.forEach((item, index) => {
      const resolved = resolveIntrinsics(item, ctx, `${where}[${index}]`);
      if (resolved !== NO_VALUE) items.push(resolved);
    });
    return items;
  }
  if (!isRecord(value)) return value;
  const name = intrinsicName(value);
  if (name) return callFunction(name, value[name], ctx, `${where} (${name})`);
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolveIntrinsics(item, ctx, `${where}.${key}`);
    if (resolved !== NO_VALUE) result[key] = resolved;
  }
  return result;
}

function callFunction(name: string, args: unknown, ctx: IntrinsicContext, where: string): unknown {
  switch (name) {
    case 'Ref':
      return ref(resolveString(args, ctx, where), ctx, where);
    case 'Condition':
      return evaluateCondition({ Condition: args }, ctx, where);
    case 'Fn::GetAtt':
      return getAtt(args, ctx, where);
    case 'Fn::Sub':
      return sub(args, ctx, where);
    case 'Fn::Join': {
      const [delimiter, items] = listArgs(args, 2, where, '[delimiter, [values]]');
      const list = resolveList(items, ctx, where);
      return list.map((item) => scalarText(item, where)).join(resolveString(delimiter, ctx, where));
    }
    case 'Fn::Select': {
      const [index, items] = listArgs(args, 2, where, '[index, [values]]');
      const position = Number(resolveString(index, ctx, where));
      const list = resolveList(items, ctx, where);
      if (!Number.isInteger(position) || position < 0 || position >= list.length) {
        fail(
          where,
          `index ${position} is outside a list of ${list.length}`,
          'use an index from 0 to the list length - 1',
        );
      }
      return list[position];
    }
    case 'Fn::Split': {
      const [delimiter, text] = listArgs(args, 2, where, '[delimiter, string]');
      return resolveString(text, ctx, where).split(resolveString(delimiter, ctx, where));
    }
    case 'Fn::FindInMap':
      return findInMap(args, ctx, where);
    case 'Fn::If': {
      const [conditionName, whenTrue, whenFalse] = listArgs(
        args,
        3,
        where,
        '[condition name, value if true, value if false]',
      );
      const chosen = ctx.condition(resolveString(conditionName, ctx, where), where) ? whenTrue : whenFalse;
      return resolveIntrinsics(chosen, ctx, where);
    }
    case 'Fn::Equals':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Fn::Not':
      return evaluateCondition({ [name]: args }, ctx, where);
    case 'Fn::Base64':
      return Buffer.from(resolveString(args, ctx, where), 'utf8').toString('base64');
    case 'Fn::GetAZs': {
      const region = resolveString(args ?? '', ctx, where) || ctx.region;
      return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
    }
    case 'Fn::ToJsonString':
      return JSON.stringify(resolveIntrinsics(args, ctx, where));
    case 'Fn::Length':
      return resolveList(args, ctx, where).length;
    default:
      return fail(
        where,
        `${name} cannot be resolved offline`,
        name === 'Fn::ImportValue'
          ? 'pass the exported value as a template parameter instead (--parameter Name=value)'
          : 'replace it with a literal value or a parameter for local use',
      );
  }
}

function ref(name: string, ctx: IntrinsicContext, where: string): unknown {
  if (name === 'AWS::NoValue') return NO_VALUE;
  if (name in ctx.pseudo) return ctx.pseudo[name];
  if (name in ctx.parameters) return ctx.parameters[name];
  if (ctx.hasResource(name)) return ctx.ref(name, where);
  if (name.startsWith('AWS::')) {
    return fail(
      where,
      `pseudo parameter ${name} is not known offline`,
      'use AWS::AccountId, AWS::Region, AWS::Partition, AWS::StackName or AWS::URLSuffix',
    );
  }
  return fail(
    where,
    `Ref ${name} names no parameter or resource`,
    'check the spelling against the Parameters and Resources sections',
  );
}

function getAtt(args: unknown, ctx: IntrinsicContext, where: string): unknown {
  let logicalId: string;
  let attribute: string;
  if (typeof args === 'string') {
    const dot = args.indexOf('.');
    if (dot <= 0)
      fail(
        where,
        `"${args}" is not LogicalId.Attribute`,
        'write !GetAtt Resource.Attribute, e.g. !GetAtt MyRole.Arn',
      );
    logicalId = args.slice(0, dot);
    attribute = args.slice(dot + 1);
  } else {
    const [id, attr] = listArgs(args, 2, where, '[logical id, attribute]');
    logicalId = resolveString(id, ctx, where);
    attribute = resolveString(attr, ctx, where);
  }
  if (!ctx.hasResource(logicalId)) {
    fail(
      where,
      `GetAtt names resource ${logicalId}, which the template does not declare`,
      'check the logical id against the Resources section',
    );
  }
  return ctx.getAtt(logicalId, attribute, where);
}

function sub(args: unknown, ctx: IntrinsicContext, where: string): string {
  let template: unknown = args;
  let variables: Record<string, unknown> = {};
  if (Array.isArray(args)) {
    const [text, map] = listArgs(args, 2, where, '[string, {variables}]');
    if (!isRecord(map))
      fail(
        where,
        'the second item of Fn::Sub must be a mapping of variables',
        `write !Sub [ "text \${Var}", { Var: value } ]`,
      );
    template = text;
    variables = map;
  }
  if (typeof template !== 'string') fail(where, 'Fn::Sub needs a string', `write !Sub "text with \${Name}"`);
  return template.replace(/\$\{([^}]*)\}/g, (whole, rawName: string) => {
    // ${!Literal} stands for the text ${Literal}.
    if (rawName.startsWith('!')) return `\${${rawName.slice(1)}}`;
    const name = rawName.trim();
    if (name in variables)
      return scalarText(resolveIntrinsics(variables[name], ctx, `${where} \${${name}}`), where);
    if (name in ctx.pseudo || name in ctx.parameters) {
      const value = ref(name, ctx, where);
      if (Array.isArray(value))
        fail(where, `\${${name}} is a list parameter`, 'use !Join to turn a list into text');
      return scalarText(value, where);
    }
    const dot = name.indexOf('.');
    if (dot > 0 && ctx.hasResource(name.slice(0, dot))) {
      return scalarText(ctx.getAtt(name.slice(0, dot), name.slice(dot + 1), where), where);
    }
    if (ctx.hasResource(name)) return scalarText(ctx.ref(name, where), where);
    return fail(
      where,
      `${whole} names no variable, parameter or resource`,
      `check the spelling; write \${!Name} for a literal \${Name}`,
    );
  });
}

function findInMap(args: unknown, ctx: IntrinsicContext, where: string): unknown {
  if (!Array.isArray(args) || args.length < 3)
    fail(
      where,
      'Fn::FindInMap needs [map, top-level key, second-level key]',
      'write !FindInMap [MapName, TopKey, SecondKey]',
    );
  const [mapName, topKey, secondKey] = args.slice(0, 3).map((item) => resolveString(item, ctx, where)) as [
    string,
    string,
    string,
  ];
  const fallback = isRecord(args[3]) && 'DefaultValue' in args[3] ? args[3].DefaultValue : undefined;
  const map = ctx.mappings[mapName];
  const top = isRecord(map) ? map[topKey] : undefined;
  const value = isRecord(top) ? top[secondKey] : undefined;
  if (value === undefined) {
    if (fallback !== undefined) return resolveIntrinsics(fallback, ctx, where);
    return fail(
      where,
      `mapping ${mapName} has no ${topKey}.${secondKey}`,
      'check the Mappings section for the keys',
    );
  }
  return resolveIntrinsics(value, ctx, where);
}

/** Fn::Equals / And / Or / Not / Condition, to a boolean. */
export function evaluateCondition(value: unknown, ctx: IntrinsicContext, where: string): boolean {
  if (typeof value === 'boolean') return value;
  if (!isRecord(value))
    fail(
      where,
      'a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition',
      'see the Conditions section syntax',
    );
  const name = Object.keys(value)[0];
  const args = name === undefined ? undefined : value[name];
  switch (name) {
    case 'Condition':
      return ctx.condition(resolveString(args, ctx, where), where);
    case 'Fn::Equals': {
      const [left, right] = listArgs(args, 2, where, '[value, value]');
      return (
        comparable(resolveIntrinsics(left, ctx, where)) === comparable(resolveIntrinsics(right, ctx, where))
      );
    }
    case 'Fn::And':
      return conditionList(args, where).every((item) => evaluateCondition(item, ctx, where));
    case 'Fn::Or':
      return conditionList(args, where).some((item) => evaluateCondition(item, ctx, where));
    case 'Fn::Not': {
      const [inner] = listArgs(args, 1, where, '[condition]');
      return !evaluateCondition(inner, ctx, where);
    }
    default: {
      const resolved = resolveIntrinsics(value, ctx, where);
      if (typeof resolved === 'boolean') return resolved;
      if (resolved === 'true' || resolved === 'false') return resolved === 'true';
      return fail(
        where,
        `${name ?? 'value'} is not a condition function`,
        'use Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition',
      );
    }
  }
}

function comparable(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function conditionList(args: unknown, where: string): unknown[] {
  if (!Array.isArray(args) || args.length < 1)
    fail(where, 'Fn::And and Fn::Or take a list of conditions', 'write !And [cond1, cond2]');
  return args;
}

function listArgs(args: unknown, count: number, where: string, shape: string): unknown[] {
  if (!Array.isArray(args) || args.length !== count)
    fail(where, `expects ${shape}`, `give a list of ${count} item(s): ${shape}`);
  return args;
}

function resolveList(value: unknown, ctx: IntrinsicContext, where: string): unknown[] {
  const resolved = resolveIntrinsics(value, ctx, where);
  if (!Array.isArray(resolved))
    fail(where, 'expects a list', 'give a YAML list or a list-valued function such as !Split');
  return resolved;
}

function resolveString(value: unknown, ctx: IntrinsicContext, where: string): string {
  return scalarText(resolveIntrinsics(value, ctx, where), where);
}

/** Strings, numbers and booleans as CloudFormation turns them into text. */
export function scalarText(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(
    where,
    `expects a string, got ${Array.isArray(value) ? 'a list' : typeof value}`,
    'check what the function or parameter returns',
  );
}
