import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { parseParameterArgs, resolveParameters } from '../../../src/local-endpoint/parameters';
import { parseTemplate } from '../../../src/local-endpoint/template';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
afterAll(() => tmp.remove());

const TEMPLATE = parseTemplate(
  `Parameters:
  CaBody: { Type: String, Description: The CA certificate in PEM }
  Env: { Type: String, Default: dev, AllowedValues: [dev, prod] }
  Duration: { Type: Number, Default: 3600, MinValue: 900, MaxValue: 43200 }
  Zones: { Type: CommaDelimitedList, Default: "a, b" }
  Prefix: { Type: String, Default: edge, AllowedPattern: "[a-z]+" }
  SsmValue: { Type: "AWS::SSM::Parameter::Value<String>", Default: /ca/body }
Resources:
  R: { Type: AWS::IAM::Role }
`,
  't.yaml',
);

function errorOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isAgentError(error)) return `${error.code}: ${error.message} | ${error.hint}`;
    throw error;
  }
  return undefined;
}

describe('parseParameterArgs', () => {
  it('reads Name=value and Name=@file', () => {
    const file = join(tmp.path, 'ca.pem');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(parseParameterArgs(['Env=prod', `CaBody=@${file}`, 'Eq=a=b', 'Empty='])).toEqual({
      Env: 'prod',
      CaBody: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      Eq: 'a=b',
      Empty: '',
    });
  });

  it('refuses a missing file and a missing name', () => {
    expect(errorOf(() => parseParameterArgs([`CaBody=@${join(tmp.path, 'nope.pem')}`]))).toContain(
      'FILE_UNREADABLE',
    );
    expect(errorOf(() => parseParameterArgs(['novalue']))).toContain(
      'PARAMETER_INVALID: parameter "novalue" is not Name=value',
    );
  });
});

describe('resolveParameters', () => {
  const ssm = { SsmValue: 'x' };
  it('takes given values over defaults and splits lists', () => {
    expect(resolveParameters(TEMPLATE, { CaBody: 'pem', Env: 'prod', ...ssm }, 't.yaml')).toEqual({
      CaBody: 'pem',
      Env: 'prod',
      Duration: '3600',
      Zones: ['a', 'b'],
      Prefix: 'edge',
      SsmValue: 'x',
    });
  });

  it.each([
    [
      'a required parameter missing',
      {},
      'PARAMETER_MISSING: template parameter CaBody has no value and no Default',
      'CaBody=@file',
    ],
    [
      'an SSM parameter not given',
      { CaBody: 'x' },
      'SsmValue is read from SSM Parameter Store',
      'SsmValue=value',
    ],
    [
      'a value outside AllowedValues',
      { CaBody: 'x', Env: 'qa', ...ssm },
      '"qa" is not one of its AllowedValues',
      'dev, prod',
    ],
    ['a pattern mismatch', { CaBody: 'x', Prefix: 'Edge1', ...ssm }, 'does not match its AllowedPattern', ''],
    ['a number below MinValue', { CaBody: 'x', Duration: '60', ...ssm }, '60 is below MinValue 900', ''],
    ['a non-number', { CaBody: 'x', Duration: 'soon', ...ssm }, '"soon" is not a number', ''],
    [
      'an undeclared parameter',
      { CaBody: 'x', Nope: '1', ...ssm },
      'PARAMETER_UNKNOWN: template t.yaml declares no parameter Nope',
      'CaBody, Env',
    ],
  ])('refuses %s', (_name, given, message, hint) => {
    const error = errorOf(() => resolveParameters(TEMPLATE, given, 't.yaml'));
    expect(error).toContain(message);
    expect(error).toContain(hint);
  });
});
