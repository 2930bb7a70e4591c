import { AgentError } from '../errors';
import { readUserFile } from '../x509/load';
import type { CfnParameter, CfnTemplate } from './template';

/**
 * Template parameters: `Name=value` or `Name=@file` from the command line, then the
 * template's Default, checked against the parameter's constraints as CloudFormation would.
 */

/** `["CACertificateBody=@ca.pem", "Env=dev"]` -> { CACertificateBody: <file text>, Env: 'dev' }. */
export function parseParameterArgs(args: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      throw new AgentError('PARAMETER_INVALID', `parameter "${arg}" is not Name=value`, {
        hint: 'write --parameter Name=value, or Name=@file to read the value from a file',
      });
    }
    const name = arg.slice(0, eq);
    const raw = arg.slice(eq + 1);
    values[name] = raw.startsWith('@')
      ? readUserFile(raw.slice(1), `value file of parameter ${name}`).toString('utf8')
      : raw;
  }
  return values;
}

/** Every declared parameter's value: given, else Default; list types become arrays. */
export function resolveParameters(
  template: CfnTemplate,
  given: Record<string, string>,
  source: string,
): Record<string, string | string[]> {
  const declared = template.Parameters ?? {};
  const unknown = Object.keys(given).filter((name) => !(name in declared));
  if (unknown.length > 0) {
    const names = Object.keys(declared);
    throw new AgentError(
      'PARAMETER_UNKNOWN',
      `template ${source} declares no parameter ${unknown.join(', ')}`,
      {
        hint:
          names.length > 0
            ? `its parameters are: ${names.join(', ')}`
            : 'the template has no Parameters section',
      },
    );
  }
  const values: Record<string, string | string[]> = {};
  for (const [name, spec] of Object.entries(declared)) {
    if (given[name] === undefined && spec.Type?.startsWith('AWS::SSM::Parameter::Value')) {
      throw new AgentError(
        'PARAMETER_MISSING',
        `template parameter ${name} is read from SSM Parameter Store, which is not available offline`,
        {
          hint: `pass the value itself: --parameter ${name}=value`,
        },
      );
    }
    const text = given[name] ?? defaultText(spec);
    if (text === undefined) {
      throw new AgentError('PARAMETER_MISSING', `template parameter ${name} has no value and no Default`, {
        hint: `pass it: --parameter ${name}=value, or ${name}=@file to read it from a file${spec.Description ? ` (${spec.Description})` : ''}`,
      });
    }
    checkConstraints(name, spec, text);
    values[name] = isListType(spec.Type) ? text.split(',').map((item) => item.trim()) : text;
  }
  return values;
}

function defaultText(spec: CfnParameter): string | undefined {
  if (spec.Default === undefined || spec.Default === null) return undefined;
  if (Array.isArray(spec.Default)) return spec.Default.map(String).join(',');
  return String(spec.Default);
}

function isListType(type: string): boolean {
  return type === 'CommaDelimitedList' || type.startsWith('List<');
}

function checkConstraints(name: string, spec: CfnParameter, text: string): void {
  const bad = (why: string, hint: string): never => {
    throw new AgentError('PARAMETER_INVALID', `template parameter ${name}: ${why}`, { hint });
  };
  if (spec.Type?.startsWith('AWS::SSM::Parameter::Value')) return;
  if (spec.AllowedValues && !spec.AllowedValues.map(String).includes(text)) {
    bad(
      `"${text}" is not one of its AllowedValues`,
      `use one of: ${spec.AllowedValues.map(String).join(', ')}`,
    );
  }
  if (spec.AllowedPattern && !new RegExp(`^(?:${spec.AllowedPattern})$`).test(text)) {
    bad(
      `the value does not match its AllowedPattern ${spec.AllowedPattern}`,
      'give a value that matches the pattern',
    );
  }
  if (spec.MinLength !== undefined && text.length < Number(spec.MinLength))
    bad(`shorter than MinLength ${spec.MinLength}`, 'give a longer value');
  if (spec.MaxLength !== undefined && text.length > Number(spec.MaxLength))
    bad(`longer than MaxLength ${spec.MaxLength}`, 'give a shorter value');
  if (spec.Type === 'Number' || spec.Type === 'List<Number>') {
    for (const item of spec.Type === 'Number' ? [text] : text.split(',')) {
      const number = Number(item.trim());
      if (item.trim() === '' || Number.isNaN(number)) bad(`"${item}" is not a number`, 'give a number');
      if (spec.MinValue !== undefined && number < Number(spec.MinValue))
        bad(`${number} is below MinValue ${spec.MinValue}`, 'give a larger number');
      if (spec.MaxValue !== undefined && number > Number(spec.MaxValue))
        bad(`${number} is above MaxValue ${spec.MaxValue}`, 'give a smaller number');
    }
  }
}
