import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import {
  evaluateTrustPolicy,
  globMatch,
  normalizePolicyDocument,
  TRUST_ACTIONS,
  type TrustPolicyContext,
} from '../../../src/local-endpoint/policy';
import type { PolicyDocument, PolicyStatement } from '../../../src/local-endpoint/types';

const ANCHOR =
  'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/2f6c1a3e-1111-4222-8333-444455556666';
const OTHER_ANCHOR =
  'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/00000000-0000-4000-8000-000000000000';

/** The keys CreateSession puts in the request context for a certificate of the article's data center. */
function requestKeys(
  overrides: Record<string, string | string[] | undefined> = {},
): TrustPolicyContext['keys'] {
  const tags: Record<string, string> = {
    'x509Subject/CN': 'edge-01',
    'x509Subject/OU': 'DataCenter-Northeast',
    'x509Subject/O': 'Example Corp',
    'x509Issuer/CN': 'Example Root CA',
    'x509SAN/DNS': 'edge-01.example.com',
  };
  const keys: TrustPolicyContext['keys'] = {
    'aws:SourceArn': ANCHOR,
    'aws:SourceAccount': '123456789012',
    'sts:SourceIdentity': 'CN=edge-01',
    'aws:TagKeys': Object.keys(tags),
  };
  for (const [key, value] of Object.entries(tags)) {
    keys[`aws:PrincipalTag/${key}`] = value;
    keys[`aws:RequestTag/${key}`] = value;
  }
  return { ...keys, ...overrides };
}

const TRUST = { Service: 'rolesanywhere.amazonaws.com' };
const ACTIONS = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'];

function allow(
  condition?: PolicyStatement['Condition'],
  extra: Partial<PolicyStatement> = {},
): PolicyStatement {
  return {
    Effect: 'Allow',
    Principal: TRUST,
    Action: ACTIONS,
    ...(condition ? { Condition: condition } : {}),
    ...extra,
  };
}

function policy(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

const ARTICLE_OU = { StringEquals: { 'aws:PrincipalTag/x509Subject/OU': 'DataCenter-Northeast' } };

interface Case {
  name: string;
  policy: PolicyDocument;
  keys?: TrustPolicyContext['keys'];
  allowed: boolean;
  /** Text the reason must contain. */
  reason?: string;
}

const cases: Case[] = [
  { name: 'article OU condition, matching OU', policy: policy(allow(ARTICLE_OU)), allowed: true },
  {
    name: 'article OU condition, other OU',
    policy: policy(allow(ARTICLE_OU)),
    keys: requestKeys({ 'aws:PrincipalTag/x509Subject/OU': 'Sales' }),
    allowed: false,
    reason:
      'condition StringEquals aws:PrincipalTag/x509Subject/OU failed: the request has "Sales", the policy wants "DataCenter-Northeast"',
  },
  {
    name: 'article OU condition, certificate without OU',
    policy: policy(allow(ARTICLE_OU)),
    keys: requestKeys({ 'aws:PrincipalTag/x509Subject/OU': undefined }),
    allowed: false,
    reason: 'the request has no value for it',
  },
  { name: 'no condition at all', policy: policy(allow()), allowed: true },
  {
    name: 'several values for one key are alternatives (OR)',
    policy: policy(
      allow({ StringEquals: { 'aws:PrincipalTag/x509Subject/OU': ['Sales', 'DataCenter-Northeast'] } }),
    ),
    allowed: true,
  },
  {
    name: 'several keys must all hold (AND)',
    policy: policy(
      allow({
        StringEquals: {
          'aws:PrincipalTag/x509Subject/OU': 'DataCenter-Northeast',
          'aws:PrincipalTag/x509Subject/CN': 'edge-02',
        },
      }),
    ),
    allowed: false,
    reason: 'aws:PrincipalTag/x509Subject/CN',
  },
  {
    name: 'several operators must all hold (AND)',
    policy: policy(allow({ ...ARTICLE_OU, ArnEquals: { 'aws:SourceArn': OTHER_ANCHOR } })),
    allowed: false,
    reason: 'ArnEquals aws:SourceArn',
  },
  {
    name: 'ArnEquals on the trust anchor ARN',
    policy: policy(allow({ ArnEquals: { 'aws:SourceArn': ANCHOR } })),
    allowed: true,
  },
  {
    name: 'ArnLike with a wildcard resource part',
    policy: policy(
      allow({ ArnLike: { 'aws:SourceArn': 'arn:aws:rolesanywhere:*:123456789012:trust-anchor/*' } }),
    ),
    allowed: true,
  },
  {
    name: 'ArnLike does not let a wildcard cross into another part',
    policy: policy(allow({ ArnLike: { 'aws:SourceArn': 'arn:aws:rolesanywhere:us-east-1:*' } })),
    allowed: false,
    reason: 'ArnLike',
  },
  {
    name: 'StringLike with * and ?',
    policy: policy(
      allow({
        StringLike: {
          'aws:PrincipalTag/x509Subject/CN': 'edge-0?',
          'aws:PrincipalTag/x509SAN/DNS': '*.example.com',
        },
      }),
    ),
    allowed: true,
  },
  {
    name: 'StringLike ? is exactly one character',
    policy: policy(allow({ StringLike: { 'aws:PrincipalTag/x509Subject/CN': 'edge-?' } })),
    allowed: false,
  },
  {
    name: 'StringNotLike refuses a matching value',
    policy: policy(allow({ StringNotLike: { 'aws:PrincipalTag/x509Subject/CN': 'edge-*' } })),
    allowed: false,
    reason: 'the policy excludes "edge-*"',
  },
  {
    name: 'StringNotEquals holds when the key is absent',
    policy: policy(allow({ StringNotEquals: { 'aws:PrincipalTag/x509Issuer/OU': 'Revoked' } })),
    allowed: true,
  },
  {
    name: 'StringNotEquals with two values is NOR',
    policy: policy(
      allow({ StringNotEquals: { 'aws:PrincipalTag/x509Subject/OU': ['Sales', 'DataCenter-Northeast'] } }),
    ),
    allowed: false,
  },
  {
    name: 'StringEqualsIgnoreCase',
    policy: policy(
      allow({ StringEqualsIgnoreCase: { 'aws:PrincipalTag/x509Subject/OU': 'datacenter-NORTHEAST' } }),
    ),
    allowed: true,
  },
  {
    name: 'StringEquals is case-sensitive on values',
    policy: policy(allow({ StringEquals: { 'aws:PrincipalTag/x509Subject/OU': 'datacenter-northeast' } })),
    allowed: false,
  },
  {
    name: 'condition key names are case-insensitive',
    policy: policy(allow({ StringEquals: { 'AWS:PRINCIPALTAG/X509SUBJECT/OU': 'DataCenter-Northeast' } })),
    allowed: true,
  },
  {
    name: 'IfExists holds for an absent key',
    policy: policy(
      allow({ StringEqualsIfExists: { 'aws:PrincipalTag/x509SAN/URI': 'spiffe://example.com/edge' } }),
    ),
    allowed: true,
  },
  {
    name: 'IfExists still checks a present key',
    policy: policy(allow({ StringEqualsIfExists: { 'aws:PrincipalTag/x509SAN/DNS': 'other.example.com' } })),
    allowed: false,
  },
  {
    name: 'ForAnyValue: one tag key matches',
    policy: policy(allow({ 'ForAnyValue:StringLike': { 'aws:TagKeys': 'x509SAN/*' } })),
    allowed: true,
  },
  {
    name: 'ForAnyValue: no tag key matches',
    policy: policy(allow({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'x509SAN/URI' } })),
    allowed: false,
  },
  {
    name: 'ForAllValues: every tag key is allowed',
    policy: policy(
      allow({ 'ForAllValues:StringLike': { 'aws:TagKeys': ['x509Subject/*', 'x509Issuer/*', 'x509SAN/*'] } }),
    ),
    allowed: true,
  },
  {
    name: 'ForAllValues: one tag key is not allowed',
    policy: policy(
      allow({ 'ForAllValues:StringLike': { 'aws:TagKeys': ['x509Subject/*', 'x509Issuer/*'] } }),
    ),
    allowed: false,
  },
  {
    name: 'ForAllValues holds for an absent key',
    policy: policy(allow({ 'ForAllValues:StringEquals': { 'aws:PrincipalTag/none': 'x' } })),
    allowed: true,
  },
  {
    name: 'Null true: the key must be absent',
    policy: policy(allow({ Null: { 'aws:PrincipalTag/x509SAN/URI': 'true' } })),
    allowed: true,
  },
  {
    name: 'Null false: the key must be present',
    policy: policy(allow({ Null: { 'aws:PrincipalTag/x509SAN/URI': 'false' } })),
    allowed: false,
    reason: 'wants Null',
  },
  {
    name: 'Bool compares true/false, YAML booleans included',
    policy: policy(allow({ Bool: { 'aws:ViaAWSService': true as unknown as string } })),
    keys: requestKeys({ 'aws:ViaAWSService': 'TRUE' }),
    allowed: true,
  },
  {
    name: 'Deny beats Allow',
    policy: policy(allow(), {
      Sid: 'NoSales',
      Effect: 'Deny',
      Principal: TRUST,
      Action: 'sts:*',
      Condition: { StringEquals: { 'aws:PrincipalTag/x509Subject/OU': 'DataCenter-Northeast' } },
    }),
    allowed: false,
    reason: 'statement 2 (Sid NoSales) explicitly denies sts:AssumeRole',
  },
  {
    name: 'a Deny whose condition fails does not deny',
    policy: policy(allow(), {
      Effect: 'Deny',
      Principal: TRUST,
      Action: 'sts:*',
      Condition: { StringEquals: { 'aws:PrincipalTag/x509Subject/OU': 'Sales' } },
    }),
    allowed: true,
  },
  {
    name: 'sts:SetSourceIdentity is required too',
    policy: policy(allow(undefined, { Action: ['sts:AssumeRole', 'sts:TagSession'] })),
    allowed: false,
    reason: 'no statement allows rolesanywhere.amazonaws.com to perform sts:SetSourceIdentity',
  },
  {
    name: 'the actions may come from different statements',
    policy: policy(
      allow(
        { StringEquals: { 'sts:SourceIdentity': 'CN=edge-01' } },
        { Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'] },
      ),
      allow(
        { StringEquals: { 'aws:PrincipalTag/x509Issuer/CN': 'Example Root CA' } },
        { Action: 'sts:TagSession' },
      ),
    ),
    allowed: true,
  },
  { name: 'Action wildcard sts:*', policy: policy(allow(undefined, { Action: 'sts:*' })), allowed: true },
  {
    name: 'another service principal is not trusted',
    policy: policy(allow(undefined, { Principal: { Service: 'ec2.amazonaws.com' } })),
    allowed: false,
    reason: 'no statement allows rolesanywhere.amazonaws.com',
  },
  {
    name: 'Principal "*" trusts every caller',
    policy: policy(allow(undefined, { Principal: '*' })),
    allowed: true,
  },
  {
    name: 'policy variables in values',
    policy: policy(
      allow({ StringEquals: { 'sts:SourceIdentity': `CN=\${aws:PrincipalTag/x509Subject/CN}` } }),
    ),
    allowed: true,
  },
  {
    name: 'NumericLessThan on a number key',
    policy: policy(allow({ NumericLessThan: { 'aws:EpochTime': '2000000000' } })),
    keys: requestKeys({ 'aws:EpochTime': '1750000000' }),
    allowed: true,
  },
  {
    name: 'DateGreaterThan on aws:CurrentTime',
    policy: policy(allow({ DateGreaterThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } })),
    keys: requestKeys({ 'aws:CurrentTime': '2026-06-15T12:00:00.000Z' }),
    allowed: false,
  },
];

describe('evaluateTrustPolicy', () => {
  it.each(cases)('$name', (testCase) => {
    const decision = evaluateTrustPolicy(testCase.policy, { keys: testCase.keys ?? requestKeys() });
    expect(decision.allowed).toBe(testCase.allowed);
    if (testCase.reason) expect(decision.reason).toContain(testCase.reason);
  });

  it('names the allowing statement when it allows', () => {
    const decision = evaluateTrustPolicy(policy({ ...allow(ARTICLE_OU), Sid: 'Edge' }), {
      keys: requestKeys(),
    });
    expect(decision).toEqual({
      allowed: true,
      reason: TRUST_ACTIONS.map((action) => `${action} allowed by statement 1 (Sid Edge)`).join('; '),
    });
  });

  it('checks only the actions it is asked about', () => {
    const onlyAssume = policy(allow(undefined, { Action: 'sts:AssumeRole' }));
    expect(
      evaluateTrustPolicy(onlyAssume, { keys: requestKeys(), actions: ['sts:AssumeRole'] }).allowed,
    ).toBe(true);
    expect(evaluateTrustPolicy(onlyAssume, { keys: requestKeys() }).allowed).toBe(false);
  });
});

describe('globMatch', () => {
  it('treats regex characters literally and * across slashes', () => {
    expect(globMatch('a.b*', 'a.b/c/d')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
    expect(globMatch('(x)+', '(x)+')).toBe(true);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('?', '')).toBe(false);
  });
});

describe('normalizePolicyDocument', () => {
  it('accepts a JSON string and a single Statement object', () => {
    const text = JSON.stringify({ Version: '2012-10-17', Statement: allow(ARTICLE_OU) });
    const normalized = normalizePolicyDocument(text, 'role R');
    expect(normalized.Statement).toHaveLength(1);
    expect(normalized.Statement[0]?.Condition).toEqual(ARTICLE_OU);
  });

  it.each([
    [
      'an unknown operator',
      { Statement: [allow({ StringEqualz: { a: 'b' } } as never)] },
      'unknown condition operator StringEqualz',
    ],
    ['a lower-case Effect', { Statement: [{ ...allow(), Effect: 'allow' }] }, 'has Effect "allow"'],
    ['no Action', { Statement: [{ Effect: 'Allow', Principal: TRUST }] }, 'statement 1 has no Action'],
    ['no Statement', { Version: '2012-10-17' }, 'the policy has no Statement'],
    ['text that is not JSON', '{nope', 'the policy is a string but not JSON'],
  ])('refuses %s', (_name, document, message) => {
    let caught: unknown;
    try {
      normalizePolicyDocument(document, 'trust policy of role R');
    } catch (error) {
      caught = error;
    }
    expect(isAgentError(caught) && caught.code).toBe('POLICY_INVALID');
    expect((caught as Error).message).toContain(message);
    expect((caught as Error).message).toContain('trust policy of role R');
  });
});
