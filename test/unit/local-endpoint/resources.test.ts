import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { parseParameterArgs } from '../../../src/local-endpoint/parameters';
import { evaluateTrustPolicy } from '../../../src/local-endpoint/policy';
import { loadResources } from '../../../src/local-endpoint/resources';
import { x509 } from '../../../src/x509/x509';
import { createRootCa, issueLeaf, type TestCa, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { makeCrl } from './endpoint-pki';

const ARTICLE = join(import.meta.dirname, '../../fixtures/local-endpoint/article-template.yaml');
const UUID = '[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}';

const tmp = makeTempDir();
let ca: TestCa;
let leaf: TestLeaf;

beforeAll(() => {
  ca = createRootCa(tmp.path, 'Edge Root CA');
  leaf = issueLeaf(tmp.path, ca, { name: 'edge-01' });
});
afterAll(() => tmp.remove());

function write(name: string, text: string): string {
  const path = join(tmp.path, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(
  run: () => unknown,
): { code: string; message: string; hint: string | undefined } | undefined {
  try {
    run();
  } catch (error) {
    if (isAgentError(error)) return { code: error.code, message: error.message, hint: error.hint };
    throw error;
  }
  return undefined;
}

describe('loadResources with the article template', () => {
  it('builds the trust anchor, role and profile the stack would create', () => {
    const resources = loadResources({
      template: ARTICLE,
      parameters: { CACertificateBody: ca.certPem },
      region: 'us-east-1',
      account: '123456789012',
    });
    expect(resources.region).toBe('us-east-1');
    expect(resources.account).toBe('123456789012');
    expect(resources.warnings).toEqual([]);

    const [anchor, ...moreAnchors] = resources.trustAnchors;
    expect(moreAnchors).toEqual([]);
    expect(anchor?.logicalId).toBe('EdgeTrustAnchor');
    expect(anchor?.name).toBe('OnPremDataCenterAnchor');
    expect(anchor?.enabled).toBe(true);
    expect(anchor?.arn).toMatch(
      new RegExp(`^arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/${UUID}$`),
    );
    expect(anchor?.arn.endsWith(`/${anchor?.trustAnchorId}`)).toBe(true);
    expect(anchor?.certificates.map((cert) => cert.subject)).toEqual([
      new x509.X509Certificate(ca.certPem).subject,
    ]);

    const [role] = resources.roles;
    expect(role?.name).toBe('EdgeBackupRole');
    expect(role?.arn).toBe('arn:aws:iam::123456789012:role/EdgeBackupRole');
    expect(role?.roleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(role?.maxSessionDuration).toBe(3600);
    expect(role?.managedPolicyArns).toEqual(['arn:aws:iam::aws:policy/AmazonS3FullAccess']);
    expect(role?.trustPolicy.Statement[0]?.Condition).toEqual({
      StringEquals: { 'aws:PrincipalTag/x509Subject/OU': 'DataCenter-Northeast' },
    });

    const [profile] = resources.profiles;
    expect(profile?.name).toBe('EdgeServerProfile');
    expect(profile?.arn).toMatch(
      new RegExp(`^arn:aws:rolesanywhere:us-east-1:123456789012:profile/${UUID}$`),
    );
    expect(profile?.roleArns).toEqual([role?.arn]);
    expect(profile?.durationSeconds).toBe(3600);
    expect(profile?.enabled).toBe(true);
    expect(profile?.acceptRoleSessionName).toBe(false);
    expect(resources.crls).toEqual([]);
  });

  it('gives the same ARNs on every load, and others for another account or region', () => {
    const load = (account: string, region: string) =>
      loadResources({ template: ARTICLE, parameters: { CACertificateBody: ca.certPem }, region, account });
    const arns = (r: ReturnType<typeof load>) => [
      r.trustAnchors[0]?.arn,
      r.profiles[0]?.arn,
      r.roles[0]?.arn,
      r.roles[0]?.roleId,
    ];
    const first = arns(load('123456789012', 'us-east-1'));
    expect(arns(load('123456789012', 'us-east-1'))).toEqual(first);
    const otherAccount = arns(load('210987654321', 'us-east-1'));
    expect(otherAccount[0]).not.toBe(first[0]);
    expect(otherAccount[2]).toBe('arn:aws:iam::210987654321:role/EdgeBackupRole');
    expect(arns(load('123456789012', 'eu-central-1'))[1]).not.toBe(first[1]);
  });

  it('takes the CA body from a file with CACertificateBody=@file', () => {
    const parameters = parseParameterArgs([`CACertificateBody=@${ca.certPath}`]);
    const resources = loadResources({ template: ARTICLE, parameters });
    expect(resources.region).toBe('us-east-1');
    expect(resources.account).toBe('123456789012');
    expect(resources.trustAnchors[0]?.certificates).toHaveLength(1);
  });

  it('names the missing parameter', () => {
    const error = errorOf(() => loadResources({ template: ARTICLE }));
    expect(error?.code).toBe('PARAMETER_MISSING');
    expect(error?.message).toBe('template parameter CACertificateBody has no value and no Default');
    expect(error?.hint).toContain('--parameter CACertificateBody=');
  });

  it('refuses a leaf certificate as trust anchor', () => {
    const error = errorOf(() =>
      loadResources({ template: ARTICLE, parameters: { CACertificateBody: leaf.certPem } }),
    );
    expect(error?.code).toBe('TRUST_ANCHOR_INVALID');
    expect(error?.message).toContain('is not a CA certificate');
  });
});

describe('loadResources with a richer template', () => {
  async function richTemplate(): Promise<{ path: string; crlBase64: string }> {
    const crl = await makeCrl(tmp.path, ca, [leaf.serialHex], new Date());
    const crlBase64 = Buffer.from(new x509.X509Crl(crl.pem).rawData).toString('base64');
    const path = write(
      'rich.yaml',
      `Parameters:
  CaBody: { Type: String }
  Stage: { Type: String, Default: dev }
  CrlBody: { Type: String }
Conditions:
  IsProd: !Equals [ !Ref Stage, prod ]
Mappings:
  Stages:
    dev: { Duration: 1800 }
Resources:
  Anchor:
    Type: AWS::RolesAnywhere::TrustAnchor
    Properties:
      Name: !Sub "\${AWS::StackName}-anchor"
      Source: { SourceType: CERTIFICATE_BUNDLE, SourceData: { X509CertificateData: !Ref CaBody } }
  Revocations:
    Type: AWS::RolesAnywhere::CRL
    Properties:
      Name: revocations
      CrlData: !Ref CrlBody
      Enabled: "true"
      TrustAnchorArn: !GetAtt Anchor.TrustAnchorArn
  GeneratedNameRole:
    Type: AWS::IAM::Role
    Properties:
      Path: /edge/
      MaxSessionDuration: 7200
      AssumeRolePolicyDocument: !Sub |
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"Service": "rolesanywhere.amazonaws.com"},
          "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
          "Condition": {"ArnEquals": {"aws:SourceArn": "\${Anchor.TrustAnchorArn}"}}}]}
  ProdOnlyRole:
    Type: AWS::IAM::Role
    Condition: IsProd
    Properties:
      AssumeRolePolicyDocument: { Statement: [] }
  Profile:
    Type: AWS::RolesAnywhere::Profile
    Properties:
      Name: profile
      Enabled: true
      AcceptRoleSessionName: true
      DurationSeconds: !FindInMap [ Stages, !Ref Stage, Duration ]
      RoleArns: [ !GetAtt GeneratedNameRole.Arn ]
      SessionPolicy: { Version: "2012-10-17", Statement: [ { Effect: Allow, Action: "s3:GetObject", Resource: "*" } ] }
  Bucket:
    Type: AWS::S3::Bucket
Outputs:
  AnchorArn: { Value: !GetAtt Anchor.TrustAnchorArn }
`,
    );
    return { path, crlBase64 };
  }

  it('resolves intrinsics across resources, conditions and mappings', async () => {
    const { path, crlBase64 } = await richTemplate();
    const resources = loadResources({
      template: path,
      parameters: { CaBody: ca.certPem, CrlBody: crlBase64 },
      stackName: 'edge-stack',
      region: 'eu-west-1',
      account: '111122223333',
    });
    const anchor = resources.trustAnchors[0];
    expect(anchor?.name).toBe('edge-stack-anchor');
    expect(anchor?.enabled).toBe(false);

    expect(resources.roles.map((role) => role.logicalId)).toEqual(['GeneratedNameRole']);
    const role = resources.roles[0];
    expect(role?.name).toMatch(/^edge-stack-GeneratedNameRole-[A-Z2-7]{12}$/);
    expect(role?.arn).toBe(`arn:aws:iam::111122223333:role/edge/${role?.name}`);
    expect(role?.maxSessionDuration).toBe(7200);
    expect(role?.trustPolicy.Statement[0]?.Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': anchor?.arn },
    });

    const profile = resources.profiles[0];
    expect(profile?.durationSeconds).toBe(1800);
    expect(profile?.acceptRoleSessionName).toBe(true);
    expect(profile?.roleArns).toEqual([role?.arn]);
    expect(JSON.parse(profile?.sessionPolicy ?? '{}').Statement[0].Action).toBe('s3:GetObject');

    const crl = resources.crls[0];
    expect(crl?.trustAnchorArn).toBe(anchor?.arn);
    expect(crl?.enabled).toBe(true);
    expect(crl?.crl.findRevoked(leaf.serialHex)).not.toBeNull();
    expect(crl?.arn).toMatch(/^arn:aws:rolesanywhere:eu-west-1:111122223333:crl\//);

    expect(resources.warnings).toEqual([
      'trust anchor Anchor: Enabled is not set, so it is treated as disabled; set Enabled: true in the template',
      'resource Bucket (AWS::S3::Bucket) is ignored: the local endpoint serves trust anchors, profiles, CRLs and IAM roles',
    ]);
  });

  it('refuses an ACM PCA trust anchor as not supported offline', () => {
    const path = write(
      'pca.yaml',
      `Resources:
  Anchor:
    Type: AWS::RolesAnywhere::TrustAnchor
    Properties:
      Name: pca
      Enabled: true
      Source: { SourceType: AWS_ACM_PCA, SourceData: { AcmPcaArn: "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x" } }
`,
    );
    const error = errorOf(() => loadResources({ template: path }));
    expect(error?.code).toBe('TRUST_ANCHOR_UNSUPPORTED');
    expect(error?.message).toBe(
      'trust anchor Anchor uses SourceType AWS_ACM_PCA, which is not supported offline',
    );
    expect(error?.hint).toContain('CERTIFICATE_BUNDLE');
  });

  it('refuses a profile duration outside 900..43200 and names the profile', () => {
    const path = write(
      'duration.yaml',
      `Resources:
  P: { Type: AWS::RolesAnywhere::Profile, Properties: { Name: p, Enabled: true, DurationSeconds: 60, RoleArns: [ "arn:aws:iam::123456789012:role/x" ] } }
`,
    );
    const error = errorOf(() => loadResources({ template: path }));
    expect(error?.code).toBe('PROFILE_INVALID');
    expect(error?.message).toContain('profile P: DurationSeconds 60 is outside 900..43200');
  });

  it('warns about a profile role that is not defined', () => {
    const path = write(
      'dangling.yaml',
      `Resources:
  P: { Type: AWS::RolesAnywhere::Profile, Properties: { Name: p, Enabled: true, RoleArns: [ "arn:aws:iam::123456789012:role/elsewhere" ] } }
`,
    );
    expect(loadResources({ template: path }).warnings).toEqual([
      'profile P lists role arn:aws:iam::123456789012:role/elsewhere, which is not defined here: sessions for it will fail',
    ]);
  });
});

describe('loadResources with extra CRL files', () => {
  it('adds each file as a CRL for any anchor', async () => {
    const crl = await makeCrl(tmp.path, ca, [leaf.serialHex], new Date());
    const resources = loadResources({
      template: ARTICLE,
      parameters: { CACertificateBody: ca.certPem },
      crls: [crl.path],
    });
    expect(resources.crls).toHaveLength(1);
    expect(resources.crls[0]?.trustAnchorArn).toBeUndefined();
    expect(resources.crls[0]?.enabled).toBe(true);
    expect(resources.crls[0]?.crl.findRevoked(leaf.serialHex)).not.toBeNull();
  });

  it('refuses a file that is not a CRL', () => {
    const error = errorOf(() =>
      loadResources({
        template: ARTICLE,
        parameters: { CACertificateBody: ca.certPem },
        crls: [ca.certPath],
      }),
    );
    expect(error?.code).toBe('CRL_INVALID');
  });
});

describe('loadResources arguments', () => {
  it('needs a template or a config', () => {
    expect(errorOf(() => loadResources({}))?.code).toBe('RESOURCES_MISSING');
  });

  it('refuses an account that is not 12 digits', () => {
    expect(
      errorOf(() =>
        loadResources({ template: ARTICLE, parameters: { CACertificateBody: ca.certPem }, account: '1234' }),
      )?.code,
    ).toBe('ACCOUNT_INVALID');
  });

  it('evaluates the loaded trust policy as the article intends', () => {
    const resources = loadResources({ template: ARTICLE, parameters: { CACertificateBody: ca.certPem } });
    const policy = resources.roles[0]?.trustPolicy;
    if (!policy) throw new Error('no role');
    expect(
      evaluateTrustPolicy(policy, { keys: { 'aws:PrincipalTag/x509Subject/OU': 'DataCenter-Northeast' } })
        .allowed,
    ).toBe(true);
    expect(
      evaluateTrustPolicy(policy, { keys: { 'aws:PrincipalTag/x509Subject/OU': 'DataCenter-Southwest' } })
        .allowed,
    ).toBe(false);
  });
});
