import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import {
  evaluateCondition,
  type IntrinsicContext,
  NO_VALUE,
  resolveIntrinsics,
} from '../../../src/local-endpoint/intrinsics';
import { parseTemplate } from '../../../src/local-endpoint/template';

/** A context with two parameters, a mapping, two conditions and two resources. */
function context(): IntrinsicContext {
  const conditions: Record<string, boolean> = { IsProd: false, IsDev: true };
  const ctx: IntrinsicContext = {
    pseudo: {
      'AWS::AccountId': '123456789012',
      'AWS::Region': 'eu-west-1',
      'AWS::Partition': 'aws',
      'AWS::StackName': 'edge',
      'AWS::NotificationARNs': [],
    },
    parameters: { Env: 'dev', Zones: ['a', 'b', 'c'], Ou: 'DataCenter-Northeast' },
    mappings: { Durations: { dev: { Seconds: 900 }, prod: { Seconds: 3600 } } },
    region: 'eu-west-1',
    condition: (name) => {
      if (!(name in conditions)) throw new Error(`no condition ${name}`);
      return conditions[name] === true;
    },
    hasResource: (id) => id === 'Role' || id === 'Anchor',
    ref: (id) => (id === 'Role' ? 'EdgeRole' : 'anchor-id'),
    getAtt: (id, attribute) => `${id}:${attribute}`,
  };
  return ctx;
}

/** Resolves the `Value` of a one-line YAML document, so short forms go through the real parser. */
function resolveYaml(yaml: string): unknown {
  const template = parseTemplate(
    `Resources:\n  R:\n    Type: AWS::X::Y\n    Properties:\n      Value: ${yaml}\n`,
    'inline',
  );
  return resolveIntrinsics(template.Resources.R?.Properties?.Value, context(), 'Value');
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isAgentError(error) ? `${error.code}: ${error.message}` : `not an AgentError: ${String(error)}`;
  }
  return undefined;
}

describe('resolveIntrinsics', () => {
  it.each([
    ['!Ref a parameter', '!Ref Env', 'dev'],
    ['Ref long form', '{ Ref: Env }', 'dev'],
    ['!Ref a pseudo parameter', '!Ref AWS::Region', 'eu-west-1'],
    ['!Ref a resource', '!Ref Role', 'EdgeRole'],
    ['!GetAtt dotted', '!GetAtt Role.Arn', 'Role:Arn'],
    ['!GetAtt list', '!GetAtt [Role, Arn]', 'Role:Arn'],
    ['Fn::GetAtt long form', '{ "Fn::GetAtt": [Anchor, TrustAnchorArn] }', 'Anchor:TrustAnchorArn'],
    [
      '!Sub pseudo parameters',
      `!Sub "arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/x"`,
      'arn:aws:iam::123456789012:role/x',
    ],
    [
      '!Sub a parameter and a resource attribute',
      `!Sub "\${Env}-\${Role.Arn}-\${Role}"`,
      'dev-Role:Arn-EdgeRole',
    ],
    ['!Sub with a variable map', `!Sub [ "\${Name}/\${Env}", { Name: !Ref Role } ]`, 'EdgeRole/dev'],
    [`!Sub \${!Literal}`, `!Sub "\${!Literal}-\${Env}"`, `\${Literal}-dev`],
    ['!Join', '!Join [ ":", [ a, !Ref Env, 3 ] ]', 'a:dev:3'],
    ['!Join a list parameter', '!Join [ ",", !Ref Zones ]', 'a,b,c'],
    ['!Select', '!Select [ 1, !Ref Zones ]', 'b'],
    ['!Select with a string index', '!Select [ "2", [x, y, z] ]', 'z'],
    ['!Split', '!Split [ "/", "a/b/c" ]', ['a', 'b', 'c']],
    ['!Select of !Split', '!Select [ 1, !Split [ ":", !GetAtt Role.Arn ] ]', 'Arn'],
    ['!FindInMap', '!FindInMap [ Durations, !Ref Env, Seconds ]', 900],
    ['!If true branch', '!If [ IsDev, yes-dev, no-dev ]', 'yes-dev'],
    ['!If false branch', '!If [ IsProd, yes-prod, no-prod ]', 'no-prod'],
    ['!Base64', '!Base64 "hi"', 'aGk='],
    ['!GetAZs', '!GetAZs ""', ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']],
    ['Fn::ToJsonString', '{ "Fn::ToJsonString": { a: !Ref Env } }', '{"a":"dev"}'],
    ['nested functions in a list', `[ !Ref Env, { k: !Sub "\${Env}!" } ]`, ['dev', { k: 'dev!' }]],
  ])('%s', (_name, yaml, expected) => {
    expect(resolveYaml(yaml)).toEqual(expected);
  });

  it('drops AWS::NoValue from mappings and lists', () => {
    const resolved = resolveYaml(
      '{ keep: 1, drop: !If [ IsProd, 2, !Ref "AWS::NoValue" ], list: [ 1, !If [ IsProd, 2, !Ref "AWS::NoValue" ] ] }',
    );
    expect(resolved).toEqual({ keep: 1, list: [1] });
    expect(resolveIntrinsics({ Ref: 'AWS::NoValue' }, context(), 'x')).toBe(NO_VALUE);
  });

  it.each([
    [
      'an unknown Ref',
      '!Ref Nope',
      'TEMPLATE_INTRINSIC: Value (Ref): Ref Nope names no parameter or resource',
    ],
    ['an unknown Sub variable', `!Sub "\${Nope}"`, `\${Nope} names no variable, parameter or resource`],
    ['a list parameter in Sub', `!Sub "\${Zones}"`, `\${Zones} is a list parameter`],
    ['GetAtt of an undeclared resource', '!GetAtt Nope.Arn', 'GetAtt names resource Nope'],
    ['Select out of range', '!Select [ 5, [a] ]', 'index 5 is outside a list of 1'],
    [
      'FindInMap with a missing key',
      '!FindInMap [ Durations, staging, Seconds ]',
      'mapping Durations has no staging.Seconds',
    ],
    ['ImportValue', '!ImportValue SharedCa', 'Fn::ImportValue cannot be resolved offline'],
    ['Join without a list', '!Join [ ",", notalist ]', 'expects a list'],
  ])('refuses %s with where and what', (_name, yaml, message) => {
    expect(codeOf(() => resolveYaml(yaml))).toContain(message);
  });
});

describe('evaluateCondition', () => {
  const ctx = context();
  it.each([
    [{ 'Fn::Equals': [{ Ref: 'Env' }, 'dev'] }, true],
    [{ 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }, false],
    [{ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }] }, true],
    [{ 'Fn::And': [{ Condition: 'IsDev' }, { 'Fn::Equals': ['a', 'a'] }] }, true],
    [{ 'Fn::And': [{ Condition: 'IsDev' }, { Condition: 'IsProd' }] }, false],
    [{ 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsDev' }] }, true],
    [
      {
        'Fn::Equals': [
          ['a', 'b'],
          ['a', 'b'],
        ],
      },
      true,
    ],
  ])('%j is %s', (condition, expected) => {
    expect(evaluateCondition(condition, ctx, 'Conditions.X')).toBe(expected);
  });
});
