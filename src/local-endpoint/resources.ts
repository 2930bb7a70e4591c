import { basename } from 'node:path';
import { AgentError } from '../errors';
import { readUserFile } from '../x509/load';
import { resourcesFromTemplate } from './cfn-resources';
import { readConfig, resourcesFromConfig } from './config';
import { buildCrl, type Scope } from './resource-builders';
import { readTemplate } from './template';
import type { LocalResources } from './types';

export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT = '123456789012';

export interface LoadResourcesOptions {
  /** CloudFormation template (YAML or JSON). */
  template?: string;
  /** The endpoint's own config file (see config.ts). */
  config?: string;
  /** Template parameter values (already read from `@file`; see parseParameterArgs). */
  parameters?: Record<string, string>;
  /** Extra CRL files (PEM or DER), each applying to any anchor whose CA issued it. */
  crls?: string[];
  /** Explicit values win over the config file's; defaults us-east-1 and 123456789012. */
  region?: string;
  account?: string;
  /** ${AWS::StackName}; also part of generated role names. Default "local". */
  stackName?: string;
}

/** Everything the local endpoint serves, from a template and/or a config file. */
export function loadResources(options: LoadResourcesOptions): LocalResources {
  if (!options.template && !options.config) {
    throw new AgentError('RESOURCES_MISSING', 'no template or config file given', {
      hint: 'pass --template <CloudFormation file> or --config <endpoint config file>',
    });
  }
  const config = options.config ? readConfig(options.config) : undefined;
  const region = options.region ?? config?.region ?? DEFAULT_REGION;
  const account = options.account ?? config?.account ?? DEFAULT_ACCOUNT;
  if (!/^\d{12}$/.test(account)) {
    throw new AgentError('ACCOUNT_INVALID', `account "${account}" is not a 12-digit AWS account id`, {
      hint: 'give --account 123456789012 (twelve digits)',
    });
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new AgentError('REGION_INVALID', `region "${region}" is not an AWS region name`, {
      hint: 'give a region such as us-east-1',
    });
  }
  const scope: Scope = { account, region, warnings: [] };
  const fromTemplate = options.template
    ? resourcesFromTemplate(
        readTemplate(options.template),
        {
          parameters: options.parameters ?? {},
          stackName: options.stackName ?? 'local',
          source: options.template,
        },
        scope,
      )
    : { trustAnchors: [], profiles: [], roles: [], crls: [] };
  if (!options.template && options.parameters && Object.keys(options.parameters).length > 0) {
    throw new AgentError('PARAMETER_UNKNOWN', 'template parameters were given but no template', {
      hint: 'parameters fill in a CloudFormation template: add --template',
    });
  }
  const fromConfig = config
    ? resourcesFromConfig(config, fromTemplate, scope)
    : { trustAnchors: [], profiles: [], roles: [], crls: [] };
  const extraCrls = (options.crls ?? []).map((path) =>
    buildCrl(
      {
        logicalId: basename(path),
        name: basename(path),
        enabled: true,
        trustAnchorArn: undefined,
        data: readUserFile(path, 'CRL file'),
      },
      scope,
    ),
  );

  const resources: LocalResources = {
    region,
    account,
    trustAnchors: [...fromTemplate.trustAnchors, ...fromConfig.trustAnchors],
    profiles: [...fromTemplate.profiles, ...fromConfig.profiles],
    roles: [...fromTemplate.roles, ...fromConfig.roles],
    crls: [...fromTemplate.crls, ...fromConfig.crls, ...extraCrls],
    warnings: scope.warnings,
  };
  checkCrossReferences(resources);
  return resources;
}

/** Duplicates are errors; dangling references are warnings (CreateSession will say why it fails). */
function checkCrossReferences(resources: LocalResources): void {
  const seen = new Map<string, string>();
  const all = [...resources.trustAnchors, ...resources.profiles, ...resources.roles, ...resources.crls];
  for (const resource of all) {
    const other = seen.get(resource.arn);
    if (other !== undefined) {
      throw new AgentError(
        'RESOURCE_DUPLICATE',
        `${resource.logicalId} and ${other} both become ${resource.arn}`,
        {
          hint: 'give them different names (the template and the config file share one namespace)',
        },
      );
    }
    seen.set(resource.arn, resource.logicalId);
  }
  const warnings = resources.warnings ?? [];
  const roleArns = new Set(resources.roles.map((role) => role.arn));
  for (const profile of resources.profiles) {
    for (const arn of profile.roleArns) {
      if (!roleArns.has(arn))
        warnings.push(
          `profile ${profile.logicalId} lists role ${arn}, which is not defined here: sessions for it will fail`,
        );
    }
  }
  const anchorArns = new Set(resources.trustAnchors.map((anchor) => anchor.arn));
  for (const crl of resources.crls) {
    if (crl.trustAnchorArn !== undefined && !anchorArns.has(crl.trustAnchorArn)) {
      warnings.push(
        `CRL ${crl.logicalId} names trust anchor ${crl.trustAnchorArn}, which is not defined here: it applies to nothing`,
      );
    }
  }
}
