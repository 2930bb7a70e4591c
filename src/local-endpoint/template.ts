import { parse, type Tags, type YAMLMap, type YAMLSeq } from 'yaml';
import { AgentError, describeError } from '../errors';
import { readUserFile } from '../x509/load';

/**
 * CloudFormation templates as data: YAML (with the `!Ref`-style short forms) or JSON, read
 * into plain objects where every short form has become its long form (`{"Fn::Sub": ...}`),
 * so the intrinsic resolver only ever sees one shape.
 */

export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Parameters?: Record<string, CfnParameter>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}

export interface CfnParameter {
  Type: string;
  Default?: unknown;
  Description?: string;
  AllowedValues?: unknown[];
  AllowedPattern?: string;
  MinLength?: number;
  MaxLength?: number;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: unknown;
}

/** Short form tag -> long form function name. `!Ref` and `!Condition` keep their names. */
const SHORT_FORMS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  GetAtt: 'Fn::GetAtt',
  Sub: 'Fn::Sub',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  FindInMap: 'Fn::FindInMap',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  And: 'Fn::And',
  Or: 'Fn::Or',
  Not: 'Fn::Not',
  Base64: 'Fn::Base64',
  GetAZs: 'Fn::GetAZs',
  ImportValue: 'Fn::ImportValue',
  Cidr: 'Fn::Cidr',
  Transform: 'Fn::Transform',
  ToJsonString: 'Fn::ToJsonString',
  Length: 'Fn::Length',
};

/** One custom tag per short form and node kind (scalar, sequence, mapping). */
function cloudFormationTags(): Tags {
  const tags: Tags = [];
  for (const [short, long] of Object.entries(SHORT_FORMS)) {
    tags.push({ tag: `!${short}`, resolve: (value: string) => ({ [long]: value }) });
    tags.push({
      tag: `!${short}`,
      collection: 'seq',
      resolve: (seq) => ({ [long]: (seq as YAMLSeq).toJSON() }),
    });
    tags.push({
      tag: `!${short}`,
      collection: 'map',
      resolve: (map) => ({ [long]: (map as YAMLMap).toJSON() }),
    });
  }
  return tags;
}

/** Parses template text (YAML or JSON). `source` names the file in errors. */
export function parseTemplate(text: string, source: string): CfnTemplate {
  let document: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both forms.
    document = parse(text, { customTags: cloudFormationTags(), prettyErrors: true });
  } catch (error) {
    throw new AgentError(
      'TEMPLATE_INVALID',
      `template ${source} is not valid YAML or JSON: ${describeError(error)}`,
      {
        hint: 'check the indentation around the line named; CloudFormation templates must parse as YAML or JSON',
        cause: error,
      },
    );
  }
  if (!isRecord(document)) {
    throw new AgentError('TEMPLATE_INVALID', `template ${source} is not a mapping of sections`, {
      hint: 'a template has top-level keys such as Parameters and Resources',
    });
  }
  const resources = document.Resources;
  if (!isRecord(resources) || Object.keys(resources).length === 0) {
    throw new AgentError('TEMPLATE_INVALID', `template ${source} has no Resources section`, {
      hint: 'give the CloudFormation template that declares the trust anchor, profile and role',
    });
  }
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isRecord(resource) || typeof resource.Type !== 'string') {
      throw new AgentError('TEMPLATE_INVALID', `resource ${logicalId} in template ${source} has no Type`, {
        hint: 'every resource needs a Type such as AWS::IAM::Role; check its indentation',
      });
    }
    if (resource.Properties !== undefined && !isRecord(resource.Properties)) {
      throw new AgentError(
        'TEMPLATE_INVALID',
        `Properties of resource ${logicalId} in template ${source} is not a mapping`,
        {
          hint: 'check the indentation of the resource properties',
        },
      );
    }
  }
  return document as unknown as CfnTemplate;
}

export function readTemplate(path: string): CfnTemplate {
  return parseTemplate(readUserFile(path, 'template').toString('utf8'), path);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
