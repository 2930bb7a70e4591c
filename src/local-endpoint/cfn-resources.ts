import { AgentError } from '../errors';
import {
  deterministicCode,
  deterministicUuid,
  normalizeRolePath,
  partitionOf,
  resourceId,
  roleArn,
  roleId,
  rolesAnywhereArn,
  urlSuffixOf,
} from './arns';
import {
  evaluateCondition,
  type IntrinsicContext,
  NO_VALUE,
  resolveIntrinsics,
  scalarText,
} from './intrinsics';
import { resolveParameters } from './parameters';
import {
  buildCrl,
  buildProfile,
  buildRole,
  buildTrustAnchor,
  type Scope,
  toBoolean,
  toInteger,
  toStringList,
} from './resource-builders';
import { type CfnTemplate, isRecord } from './template';
import type { Crl, Profile, Role, TrustAnchor } from './types';

/**
 * The Roles Anywhere and IAM resources of a CloudFormation template, as the stack would
 * create them: parameters and intrinsics resolved, ids and ARNs made up deterministically.
 */

export interface TemplateResources {
  trustAnchors: TrustAnchor[];
  profiles: Profile[];
  roles: Role[];
  crls: Crl[];
}

export interface TemplateOptions {
  parameters: Record<string, string>;
  stackName: string;
  source: string;
}

const TRUST_ANCHOR = 'AWS::RolesAnywhere::TrustAnchor';
const PROFILE = 'AWS::RolesAnywhere::Profile';
const CRL = 'AWS::RolesAnywhere::CRL';
const ROLE = 'AWS::IAM::Role';
const MANAGED_POLICY = 'AWS::IAM::ManagedPolicy';

export function resourcesFromTemplate(
  template: CfnTemplate,
  options: TemplateOptions,
  scope: Scope,
): TemplateResources {
  const { account, region } = scope;
  const { stackName, source } = options;
  const resources = template.Resources;
  const stackId = `arn:${partitionOf(region)}:cloudformation:${region}:${account}:stack/${stackName}/${deterministicUuid(account, region, 'stack', stackName)}`;
  const conditionCache = new Map<string, boolean>();
  const inProgress = new Set<string>();

  const guard = <T>(key: string, where: string, compute: () => T): T => {
    if (inProgress.has(key)) {
      throw new AgentError('TEMPLATE_CIRCULAR', `${where}: ${key} refers to itself`, {
        hint: 'break the circular reference',
      });
    }
    inProgress.add(key);
    try {
      return compute();
    } finally {
      inProgress.delete(key);
    }
  };

  const ctx: IntrinsicContext = {
    pseudo: {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': partitionOf(region),
      'AWS::URLSuffix': urlSuffixOf(region),
      'AWS::StackName': stackName,
      'AWS::StackId': stackId,
      'AWS::NotificationARNs': [],
    },
    parameters: resolveParameters(template, options.parameters, source),
    mappings: isRecord(template.Mappings) ? template.Mappings : {},
    region,
    condition(name, where) {
      const cached = conditionCache.get(name);
      if (cached !== undefined) return cached;
      const definition = template.Conditions?.[name];
      if (definition === undefined) {
        throw new AgentError('TEMPLATE_INTRINSIC', `${where}: condition ${name} is not declared`, {
          hint: 'check the name against the Conditions section',
        });
      }
      const value = guard(`condition ${name}`, where, () =>
        evaluateCondition(definition, ctx, `Conditions.${name}`),
      );
      conditionCache.set(name, value);
      return value;
    },
    hasResource: (logicalId) => Object.hasOwn(resources, logicalId),
    ref: (logicalId, where) => refOf(logicalId, where),
    getAtt: (logicalId, attribute, where) => getAttOf(logicalId, attribute, where),
  };

  const property = (logicalId: string, name: string, where: string): unknown =>
    guard(`${logicalId}.${name}`, where, () => {
      const value = resolveIntrinsics(
        resources[logicalId]?.Properties?.[name],
        ctx,
        `Resources.${logicalId}.Properties.${name}`,
      );
      return value === NO_VALUE ? undefined : value;
    });

  /** The name CloudFormation gives a resource whose name property is left out. */
  const generatedName = (logicalId: string, maxLength: number): string =>
    `${`${stackName}-${logicalId}`.slice(0, maxLength - 13)}-${deterministicCode(12, account, region, stackName, logicalId)}`;

  const roleName = (logicalId: string, where: string): string => {
    const given = property(logicalId, 'RoleName', where);
    return given === undefined
      ? generatedName(logicalId, 64)
      : scalarText(given, `Resources.${logicalId}.Properties.RoleName`);
  };

  const rolesAnywhereId = (logicalId: string, kind: 'trust-anchor' | 'profile' | 'crl') =>
    resourceId(kind, account, region, logicalId);

  function refOf(logicalId: string, where: string): unknown {
    const type = resources[logicalId]?.Type;
    switch (type) {
      case TRUST_ANCHOR:
        return rolesAnywhereId(logicalId, 'trust-anchor');
      case PROFILE:
        return rolesAnywhereId(logicalId, 'profile');
      case CRL:
        return rolesAnywhereId(logicalId, 'crl');
      case ROLE:
        return roleName(logicalId, where);
      case MANAGED_POLICY: {
        const name = property(logicalId, 'ManagedPolicyName', where);
        const path = normalizeRolePath(String(property(logicalId, 'Path', where) ?? '/'));
        return `arn:${partitionOf(region)}:iam::${account}:policy${path}${name === undefined ? generatedName(logicalId, 128) : scalarText(name, where)}`;
      }
      default:
        scope.warnings.push(`${where}: Ref to ${logicalId} (${type}) resolved to a made-up physical id`);
        return generatedName(logicalId, 128);
    }
  }

  function getAttOf(logicalId: string, attribute: string, where: string): unknown {
    const type = resources[logicalId]?.Type;
    const attributes: Record<string, () => unknown> = {};
    if (type === TRUST_ANCHOR) {
      attributes.TrustAnchorId = () => rolesAnywhereId(logicalId, 'trust-anchor');
      attributes.TrustAnchorArn = () =>
        rolesAnywhereArn('trust-anchor', account, region, rolesAnywhereId(logicalId, 'trust-anchor'));
    } else if (type === PROFILE) {
      attributes.ProfileId = () => rolesAnywhereId(logicalId, 'profile');
      attributes.ProfileArn = () =>
        rolesAnywhereArn('profile', account, region, rolesAnywhereId(logicalId, 'profile'));
    } else if (type === CRL) {
      attributes.CrlId = () => rolesAnywhereId(logicalId, 'crl');
      attributes.CrlArn = () => rolesAnywhereArn('crl', account, region, rolesAnywhereId(logicalId, 'crl'));
    } else if (type === ROLE) {
      attributes.Arn = () => {
        const path = property(logicalId, 'Path', where);
        return roleArn(
          account,
          roleName(logicalId, where),
          normalizeRolePath(path === undefined ? '/' : scalarText(path, where)),
          region,
        );
      };
      attributes.RoleId = () => roleId(account, logicalId);
    } else {
      scope.warnings.push(`${where}: GetAtt ${logicalId}.${attribute} (${type}) resolved to a placeholder`);
      return `${logicalId}.${attribute}`;
    }
    const compute = attributes[attribute];
    if (!compute) {
      throw new AgentError(
        'TEMPLATE_INTRINSIC',
        `${where}: ${type} ${logicalId} has no attribute ${attribute}`,
        {
          hint: `its attributes are: ${Object.keys(attributes).join(', ')}`,
        },
      );
    }
    return compute();
  }

  const result: TemplateResources = { trustAnchors: [], profiles: [], roles: [], crls: [] };
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (
      resource.Condition !== undefined &&
      !ctx.condition(resource.Condition, `Resources.${logicalId}.Condition`)
    )
      continue;
    const where = `Resources.${logicalId}`;
    const props = (name: string) => property(logicalId, name, `${where}.Properties.${name}`);
    const text = (name: string): string | undefined => {
      const value = props(name);
      return value === undefined ? undefined : scalarText(value, `${where}.Properties.${name}`);
    };
    const what = (name: string) => `${where}.Properties.${name}`;
    switch (resource.Type) {
      case TRUST_ANCHOR:
        result.trustAnchors.push(
          buildTrustAnchor(
            {
              logicalId,
              name: text('Name') ?? logicalId,
              enabled: enabledOf(props('Enabled'), what('Enabled'), `trust anchor ${logicalId}`, scope),
              certificateData: trustAnchorSource(props('Source'), logicalId),
            },
            scope,
          ),
        );
        break;
      case PROFILE: {
        if (props('AttributeMappings') !== undefined) {
          scope.warnings.push(
            `profile ${logicalId}: AttributeMappings are not applied offline; the default certificate mapping is used`,
          );
        }
        const sessionPolicy = props('SessionPolicy');
        result.profiles.push(
          buildProfile(
            {
              logicalId,
              name: text('Name') ?? logicalId,
              enabled: enabledOf(props('Enabled'), what('Enabled'), `profile ${logicalId}`, scope),
              durationSeconds: toInteger(props('DurationSeconds'), what('DurationSeconds')),
              roleArns: toStringList(props('RoleArns'), what('RoleArns')) ?? [],
              acceptRoleSessionName: toBoolean(props('AcceptRoleSessionName'), what('AcceptRoleSessionName')),
              managedPolicyArns: toStringList(props('ManagedPolicyArns'), what('ManagedPolicyArns')),
              ...(sessionPolicy === undefined
                ? {}
                : {
                    sessionPolicy:
                      typeof sessionPolicy === 'string' ? sessionPolicy : JSON.stringify(sessionPolicy),
                  }),
            },
            scope,
          ),
        );
        break;
      }
      case CRL: {
        const data = text('CrlData');
        if (data === undefined) {
          throw new AgentError('CRL_INVALID', `CRL ${logicalId} has no CrlData`, {
            hint: 'set CrlData to the CRL (PEM or base64 DER)',
          });
        }
        result.crls.push(
          buildCrl(
            {
              logicalId,
              name: text('Name') ?? logicalId,
              enabled: enabledOf(props('Enabled'), what('Enabled'), `CRL ${logicalId}`, scope),
              trustAnchorArn: text('TrustAnchorArn'),
              data,
            },
            scope,
          ),
        );
        break;
      }
      case ROLE: {
        const policy = props('AssumeRolePolicyDocument');
        if (policy === undefined) {
          throw new AgentError('ROLE_INVALID', `role ${logicalId} has no AssumeRolePolicyDocument`, {
            hint: 'a role used with Roles Anywhere needs a trust policy for rolesanywhere.amazonaws.com',
          });
        }
        result.roles.push(
          buildRole(
            {
              logicalId,
              name: roleName(logicalId, where),
              path: text('Path') ?? '/',
              trustPolicy: policy,
              maxSessionDuration: toInteger(props('MaxSessionDuration'), what('MaxSessionDuration')),
              managedPolicyArns: toStringList(props('ManagedPolicyArns'), what('ManagedPolicyArns')),
            },
            scope,
          ),
        );
        break;
      }
      default:
        scope.warnings.push(
          `resource ${logicalId} (${resource.Type}) is ignored: the local endpoint serves trust anchors, profiles, CRLs and IAM roles`,
        );
    }
  }
  return result;
}

/**
 * Enabled as the template says. CloudFormation documents no default for it; a resource with
 * Enabled left out is treated as disabled here (and a warning says so), so a template that
 * works locally cannot fail in AWS for that reason.
 */
function enabledOf(value: unknown, where: string, what: string, scope: Scope): boolean {
  const enabled = toBoolean(value, where);
  if (enabled !== undefined) return enabled;
  scope.warnings.push(
    `${what}: Enabled is not set, so it is treated as disabled; set Enabled: true in the template`,
  );
  return false;
}

function trustAnchorSource(source: unknown, logicalId: string): string {
  const type = isRecord(source) ? source.SourceType : undefined;
  const data = isRecord(source) && isRecord(source.SourceData) ? source.SourceData : undefined;
  if (type === 'AWS_ACM_PCA' || type === 'SELF_SIGNED_REPOSITORY') {
    throw new AgentError(
      'TRUST_ANCHOR_UNSUPPORTED',
      `trust anchor ${logicalId} uses SourceType ${type}, which is not supported offline`,
      {
        hint: 'export the CA certificate (aws acm-pca get-certificate-authority-certificate) and use SourceType CERTIFICATE_BUNDLE with X509CertificateData, or describe the anchor in a --config file',
      },
    );
  }
  if (type !== 'CERTIFICATE_BUNDLE' || typeof data?.X509CertificateData !== 'string') {
    throw new AgentError(
      'TRUST_ANCHOR_INVALID',
      `trust anchor ${logicalId} has no CERTIFICATE_BUNDLE source with X509CertificateData`,
      {
        hint: 'set Source: { SourceType: CERTIFICATE_BUNDLE, SourceData: { X509CertificateData: <CA PEM> } }',
      },
    );
  }
  return data.X509CertificateData;
}
