import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { parseTemplate } from '../../../src/local-endpoint/template';

const ARTICLE = join(import.meta.dirname, '../../fixtures/local-endpoint/article-template.yaml');

function errorOf(run: () => unknown): { code: string; message: string } | undefined {
  try {
    run();
  } catch (error) {
    if (isAgentError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return undefined;
}

describe('parseTemplate', () => {
  it('reads the article template with its short forms as long forms', () => {
    const template = parseTemplate(readFileSync(ARTICLE, 'utf8'), ARTICLE);
    expect(Object.keys(template.Resources)).toEqual(['EdgeTrustAnchor', 'EdgeWorkloadRole', 'EdgeProfile']);
    expect(template.Parameters?.CACertificateBody?.Type).toBe('String');
    expect(template.Resources.EdgeProfile?.Properties?.RoleArns).toEqual([
      { 'Fn::GetAtt': 'EdgeWorkloadRole.Arn' },
    ]);
    expect(template.Resources.EdgeTrustAnchor?.Properties?.Source).toEqual({
      SourceData: { X509CertificateData: { Ref: 'CACertificateBody' } },
      SourceType: 'CERTIFICATE_BUNDLE',
    });
    // '2012-10-17' and unquoted dates stay strings (YAML 1.2 core schema).
    const role = template.Resources.EdgeWorkloadRole?.Properties?.AssumeRolePolicyDocument as {
      Version: unknown;
    };
    expect(role.Version).toBe('2012-10-17');
  });

  it('gives the same document for YAML short forms, YAML long forms and JSON', () => {
    const short = parseTemplate(
      `Resources:\n  P:\n    Type: AWS::RolesAnywhere::Profile\n    Properties:\n      Name: !Sub "\${AWS::StackName}-p"\n      RoleArns: [ !GetAtt [R, Arn], !Join [ "", [ a, !Ref X ] ] ]\n      Enabled: !If [ C, true, !Ref "AWS::NoValue" ]\n`,
      'short.yaml',
    );
    const long = parseTemplate(
      `Resources:\n  P:\n    Type: AWS::RolesAnywhere::Profile\n    Properties:\n      Name: { "Fn::Sub": "\${AWS::StackName}-p" }\n      RoleArns: [ { "Fn::GetAtt": [R, Arn] }, { "Fn::Join": [ "", [ a, { Ref: X } ] ] } ]\n      Enabled: { "Fn::If": [ C, true, { Ref: "AWS::NoValue" } ] }\n`,
      'long.yaml',
    );
    const json = parseTemplate(JSON.stringify(long), 'template.json');
    expect(short).toEqual(long);
    expect(json).toEqual(long);
  });

  it.each([
    [
      'text that is not YAML',
      'Resources:\n  A:\n   Type: x\n  - b',
      'TEMPLATE_INVALID',
      'is not valid YAML or JSON',
    ],
    ['no Resources', 'Parameters: {}\n', 'TEMPLATE_INVALID', 'has no Resources section'],
    [
      'a resource without Type',
      'Resources:\n  Role:\n    Properties: {}\n',
      'TEMPLATE_INVALID',
      'resource Role in template t.yaml has no Type',
    ],
    ['a scalar document', '"just text"', 'TEMPLATE_INVALID', 'is not a mapping of sections'],
  ])('refuses %s', (_name, text, code, message) => {
    const error = errorOf(() => parseTemplate(text, 't.yaml'));
    expect(error?.code).toBe(code);
    expect(error?.message).toContain(message);
  });

  it('refuses the article text as printed (indentation lost)', () => {
    const flattened = readFileSync(ARTICLE, 'utf8')
      .split('\n')
      .map((line) => line.trimStart())
      .join('\n');
    const error = errorOf(() => parseTemplate(flattened, 'article.txt'));
    expect(error?.code).toBe('TEMPLATE_INVALID');
  });
});
