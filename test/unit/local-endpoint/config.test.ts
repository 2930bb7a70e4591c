import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { parseConfig } from '../../../src/local-endpoint/config';
import { evaluateTrustPolicy } from '../../../src/local-endpoint/policy';
import { loadResources } from '../../../src/local-endpoint/resources';
import { createRootCa, issueLeaf, type TestCa, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { makeCrl } from './endpoint-pki';

const ARTICLE = join(import.meta.dirname, '../../fixtures/local-endpoint/article-template.yaml');

const tmp = makeTempDir();
let ca: TestCa;
let otherCa: TestCa;
let leaf: TestLeaf;
let configDir: string;

beforeAll(async () => {
  ca = createRootCa(tmp.path, 'Config Root CA');
  otherCa = createRootCa(tmp.path, 'Other Root CA');
  leaf = issueLeaf(tmp.path, ca, { name: 'cfg-leaf' });
  configDir = join(tmp.path, 'conf');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'ca.pem'), ca.certPem);
  writeFileSync(
    join(configDir, 'revoked.crl.pem'),
    (await makeCrl(tmp.path, ca, [leaf.serialHex], new Date())).pem,
  );
  writeFileSync(
    join(configDir, 'trust.json'),
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'rolesanywhere.amazonaws.com' }, Action: 'sts:*' },
      ],
    }),
  );
});
afterAll(() => tmp.remove());

function writeConfig(name: string, text: string): string {
  const path = join(configDir, name);
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

describe('config file', () => {
  it('describes anchors, roles, profiles and CRLs by name, paths relative to the file', () => {
    const path = writeConfig(
      'full.yaml',
      `region: eu-west-1
account: "111122223333"
trustAnchors:
  - name: edge-ca
    certificates: ca.pem
  - name: inline-ca
    certificates: |
${otherCa.certPem.replace(/^/gm, '      ')}
    enabled: false
roles:
  - name: EdgeBackupRole
    maxSessionDuration: 7200
    trustPolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: { Service: rolesanywhere.amazonaws.com }
          Action: [sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity]
          Condition:
            StringEquals: { "aws:PrincipalTag/x509Subject/OU": DataCenter-Northeast }
  - name: FileTrustRole
    path: /ops/
    trustPolicy: trust.json
  - name: DefaultTrustRole
profiles:
  - name: edge
    roles: [EdgeBackupRole, DefaultTrustRole, "arn:aws:iam::111122223333:role/ops/FileTrustRole"]
    durationSeconds: 7200
    acceptRoleSessionName: true
    sessionPolicy: { Version: "2012-10-17", Statement: [] }
crls:
  - name: edge-crl
    crl: revoked.crl.pem
    trustAnchor: edge-ca
`,
    );
    const resources = loadResources({ config: path });
    expect(resources.region).toBe('eu-west-1');
    expect(resources.account).toBe('111122223333');
    expect(resources.warnings).toEqual([]);

    expect(resources.trustAnchors.map((a) => [a.name, a.enabled, a.certificates.length])).toEqual([
      ['edge-ca', true, 1],
      ['inline-ca', false, 1],
    ]);
    expect(resources.trustAnchors[0]?.arn).toMatch(
      /^arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor\//,
    );

    expect(resources.roles.map((r) => r.arn)).toEqual([
      'arn:aws:iam::111122223333:role/EdgeBackupRole',
      'arn:aws:iam::111122223333:role/ops/FileTrustRole',
      'arn:aws:iam::111122223333:role/DefaultTrustRole',
    ]);
    expect(resources.roles[0]?.maxSessionDuration).toBe(7200);
    expect(resources.roles[1]?.trustPolicy.Statement[0]?.Action).toBe('sts:*');
    // The default trust policy trusts Roles Anywhere for the three actions, without conditions.
    const defaultPolicy = resources.roles[2]?.trustPolicy;
    expect(defaultPolicy && evaluateTrustPolicy(defaultPolicy, { keys: {} }).allowed).toBe(true);

    const profile = resources.profiles[0];
    expect(profile?.roleArns).toEqual([
      'arn:aws:iam::111122223333:role/EdgeBackupRole',
      'arn:aws:iam::111122223333:role/DefaultTrustRole',
      'arn:aws:iam::111122223333:role/ops/FileTrustRole',
    ]);
    expect(profile?.enabled).toBe(true);
    expect(profile?.durationSeconds).toBe(7200);
    expect(profile?.acceptRoleSessionName).toBe(true);
    expect(profile?.sessionPolicy).toBe('{"Version":"2012-10-17","Statement":[]}');

    expect(resources.crls[0]?.trustAnchorArn).toBe(resources.trustAnchors[0]?.arn);
    expect(resources.crls[0]?.crl.findRevoked(leaf.serialHex)).not.toBeNull();
  });

  it('reads JSON too, and explicit region/account win over the file', () => {
    const path = writeConfig(
      'small.json',
      JSON.stringify({
        region: 'eu-west-1',
        trustAnchors: [{ name: 'edge-ca', certificates: ['ca.pem'] }],
        roles: [{ name: 'R' }],
        profiles: [{ name: 'p', roles: ['R'] }],
      }),
    );
    const resources = loadResources({ config: path, region: 'ap-southeast-2', account: '444455556666' });
    expect(resources.region).toBe('ap-southeast-2');
    expect(resources.profiles[0]?.arn).toMatch(
      /^arn:aws:rolesanywhere:ap-southeast-2:444455556666:profile\//,
    );
    expect(resources.profiles[0]?.durationSeconds).toBe(3600);
    expect(resources.profiles[0]?.acceptRoleSessionName).toBe(false);
  });

  it('adds to a template: a config profile may name a template role', () => {
    const path = writeConfig(
      'extra.yaml',
      'profiles:\n  - name: extra\n    roles: [EdgeBackupRole]\n    durationSeconds: 900\n',
    );
    const resources = loadResources({
      template: ARTICLE,
      parameters: { CACertificateBody: ca.certPem },
      config: path,
    });
    expect(resources.profiles.map((p) => p.name)).toEqual(['EdgeServerProfile', 'extra']);
    expect(resources.profiles[1]?.roleArns).toEqual(['arn:aws:iam::123456789012:role/EdgeBackupRole']);
  });

  it.each([
    ['an unknown top-level key', 'trustAnchor: []\n', 'unknown key trustAnchor', 'trustAnchors'],
    [
      'an unknown entry key',
      'roles:\n  - name: R\n    trustpolicy: {}\n',
      'roles[0] has unknown key trustpolicy',
      'trustPolicy',
    ],
    ['a missing required key', 'profiles:\n  - name: p\n', 'profiles[0] has no roles', 'add roles'],
    ['a section that is not a list', 'roles: { name: R }\n', 'roles must be a list', ''],
    [
      'an undefined role',
      'profiles:\n  - name: p\n    roles: [Nope]\n',
      'profile p lists role Nope, which is not defined',
      'known roles: none',
    ],
    [
      'an undefined trust anchor',
      'crls:\n  - name: c\n    crl: revoked.crl.pem\n    trustAnchor: nope\n',
      'names trust anchor nope',
      '',
    ],
    [
      'a non-boolean enabled',
      'trustAnchors:\n  - name: a\n    certificates: ca.pem\n    enabled: "yes"\n',
      'expected true or false',
      '',
    ],
    [
      'a missing certificate file',
      'trustAnchors:\n  - name: a\n    certificates: missing.pem\n',
      'missing.pem',
      '',
    ],
  ])('refuses %s', (_name, text, message, hint) => {
    const error = errorOf(() => loadResources({ config: writeConfig('bad.yaml', text) }));
    expect(error?.message).toContain(message);
    expect(error?.hint ?? '').toContain(hint);
  });

  it('parses without touching the disk and keeps the base directory', () => {
    const config = parseConfig('trustAnchors: []\n', 'inline', '/etc/ra');
    expect(config).toEqual({
      trustAnchors: [],
      roles: [],
      profiles: [],
      crls: [],
      baseDir: '/etc/ra',
      source: 'inline',
    });
  });
});
