import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreateSessionAuditRecord, createAuditLog } from '../../../src/local-endpoint/audit-log';
import { handleCreateSession } from '../../../src/local-endpoint/create-session';
import { createCredentialStore } from '../../../src/local-endpoint/credential-store';
import { loadResources } from '../../../src/local-endpoint/resources';
import type { EndpointRequest, EndpointResponse, LocalResources } from '../../../src/local-endpoint/types';
import { createRootCa, issueLeaf, type TestCa, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { makeCrl, type SessionRequestOptions, signedSessionRequest, signerFor } from './endpoint-pki';

const ARTICLE = join(import.meta.dirname, '../../fixtures/local-endpoint/article-template.yaml');

const tmp = makeTempDir();
let ca: TestCa;
let otherCa: TestCa;
let good: TestLeaf;
let sales: TestLeaf;
let revoked: TestLeaf;
let stranger: TestLeaf;
let misattached: TestLeaf;
let disabledRevocation: TestLeaf;
let resources: LocalResources;
/** The endpoint's clock and the clients' signing date: fixed once the certificates exist. */
let now: Date;

const arn = {
  anchor: '',
  disabledAnchor: '',
  otherAnchor: '',
  profile: '',
  disabledProfile: '',
  namedProfile: '',
  longProfile: '',
  role: 'arn:aws:iam::123456789012:role/EdgeBackupRole',
  otherRole: 'arn:aws:iam::123456789012:role/OtherRole',
};

beforeAll(async () => {
  ca = createRootCa(tmp.path, 'Edge Root CA');
  otherCa = createRootCa(tmp.path, 'Other Root CA');
  good = issueLeaf(tmp.path, ca, {
    name: 'edge-01',
    subject: '/O=Example/OU=DataCenter-Northeast/CN=edge-01',
  });
  sales = issueLeaf(tmp.path, ca, { name: 'sales-01', subject: '/O=Example/OU=Sales/CN=sales-01' });
  revoked = issueLeaf(tmp.path, ca, {
    name: 'stolen-01',
    subject: '/O=Example/OU=DataCenter-Northeast/CN=stolen-01',
  });
  stranger = issueLeaf(tmp.path, otherCa, {
    name: 'stranger',
    subject: '/O=Example/OU=DataCenter-Northeast/CN=stranger',
  });
  misattached = issueLeaf(tmp.path, ca, {
    name: 'edge-02',
    subject: '/O=Example/OU=DataCenter-Northeast/CN=edge-02',
  });
  disabledRevocation = issueLeaf(tmp.path, ca, {
    name: 'edge-03',
    subject: '/O=Example/OU=DataCenter-Northeast/CN=edge-03',
  });
  now = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
  const crl = await makeCrl(tmp.path, ca, [revoked.serialHex], now);
  // Signed by the right CA but imported for another anchor, and one imported disabled: neither revokes.
  writeFileSync(
    join(tmp.path, 'misattached.crl.pem'),
    (await makeCrl(tmp.path, ca, [misattached.serialHex], now)).pem,
  );
  writeFileSync(
    join(tmp.path, 'disabled.crl.pem'),
    (await makeCrl(tmp.path, ca, [disabledRevocation.serialHex, '01'], now)).pem,
  );
  writeFileSync(join(tmp.path, 'ca.pem'), ca.certPem);
  writeFileSync(join(tmp.path, 'other-ca.pem'), otherCa.certPem);
  const config = join(tmp.path, 'endpoint.yaml');
  writeFileSync(
    config,
    `trustAnchors:
  - { name: disabled-anchor, certificates: ca.pem, enabled: false }
  - { name: other-anchor, certificates: other-ca.pem }
roles:
  - name: OtherRole
profiles:
  - { name: disabled, roles: [EdgeBackupRole], enabled: false }
  - { name: named-sessions, roles: [EdgeBackupRole, OtherRole], acceptRoleSessionName: true }
  - { name: long, roles: [EdgeBackupRole], durationSeconds: 7200 }
crls:
  - { name: misattached, crl: misattached.crl.pem, trustAnchor: other-anchor }
  - { name: switched-off, crl: disabled.crl.pem, trustAnchor: OnPremDataCenterAnchor, enabled: false }
`,
  );
  resources = loadResources({
    template: ARTICLE,
    parameters: { CACertificateBody: ca.certPem },
    config,
    crls: [crl.path],
  });
  const byName = <T extends { name: string; arn: string }>(list: T[], name: string) => {
    const found = list.find((item) => item.name === name);
    if (!found) throw new Error(`no ${name}`);
    return found.arn;
  };
  arn.anchor = byName(resources.trustAnchors, 'OnPremDataCenterAnchor');
  arn.disabledAnchor = byName(resources.trustAnchors, 'disabled-anchor');
  arn.otherAnchor = byName(resources.trustAnchors, 'other-anchor');
  arn.profile = byName(resources.profiles, 'EdgeServerProfile');
  arn.disabledProfile = byName(resources.profiles, 'disabled');
  arn.namedProfile = byName(resources.profiles, 'named-sessions');
  arn.longProfile = byName(resources.profiles, 'long');
});
afterAll(() => tmp.remove());

let endpointCount = 0;

/** A fresh endpoint (store + audit file) for one test. */
function endpoint() {
  const auditPath = join(tmp.path, `audit-${++endpointCount}.jsonl`);
  const store = createCredentialStore();
  const ctx = { resources, store, audit: createAuditLog(auditPath), now: () => now, region: 'us-east-1' };
  return {
    store,
    call: (request: EndpointRequest) => handleCreateSession(request, ctx),
    auditText: () => readFileSync(auditPath, 'utf8'),
    audit: (): CreateSessionAuditRecord[] =>
      readFileSync(auditPath, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
  };
}

function request(leaf: TestLeaf, options: Partial<SessionRequestOptions> = {}): Promise<EndpointRequest> {
  return signedSessionRequest({
    signer: signerFor(leaf),
    date: now,
    trustAnchorArn: arn.anchor,
    profileArn: arn.profile,
    roleArn: arn.role,
    ...options,
  });
}

interface SessionBody {
  credentialSet: [
    {
      assumedRoleUser: { arn: string; assumedRoleId: string };
      credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string };
      packedPolicySize: number;
      roleArn: string;
      sourceIdentity: string;
    },
  ];
  subjectArn: string;
  message: string;
}

function json(response: EndpointResponse): SessionBody {
  return JSON.parse(String(response.body));
}

/** One failure: status, AWS type, message, and the single audit record naming the code. */
async function expectRefused(
  leaf: TestLeaf,
  options: Partial<SessionRequestOptions>,
  status: number,
  type: string,
  code: string,
  message: string,
) {
  const ep = endpoint();
  const response = await ep.call(await request(leaf, options));
  expect(response.status).toBe(status);
  expect(response.headers?.['x-amzn-errortype']).toBe(type);
  expect(response.headers?.['content-type']).toBe('application/json');
  expect(Object.keys(json(response))).toEqual(['message']);
  expect(json(response).message).toContain(message);
  const records = ep.audit();
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({
    event: 'CreateSession',
    outcome: 'failure',
    errorCode: code,
    sourceAddress: '127.0.0.1',
  });
  expect(records[0]?.reason).toContain(message);
  return { response, record: records[0] as CreateSessionAuditRecord };
}

describe('handleCreateSession grants', () => {
  it('a session to the article workload: AWS-shaped 201, credentials in the store, one audit record', async () => {
    const ep = endpoint();
    const response = await ep.call(await request(good));
    expect(response.status).toBe(201);
    expect(response.headers?.['content-type']).toBe('application/json');
    const body = json(response);
    const role = resources.roles.find((r) => r.arn === arn.role);
    const serial = good.serialHex.toLowerCase();
    expect(Object.keys(body)).toEqual(['credentialSet', 'subjectArn']);
    expect(body.subjectArn).toMatch(/^arn:aws:rolesanywhere:us-east-1:123456789012:subject\/[a-f0-9-]{36}$/);
    const [set] = body.credentialSet;
    expect(set.roleArn).toBe(arn.role);
    expect(set.sourceIdentity).toBe('CN=edge-01');
    expect(set.assumedRoleUser).toEqual({
      arn: `arn:aws:sts::123456789012:assumed-role/EdgeBackupRole/${serial}`,
      assumedRoleId: `${role?.roleId}:${serial}`,
    });
    expect(set.credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(set.credentials.expiration).toBe(
      new Date(now.getTime() + 3600_000).toISOString().replace('.000Z', 'Z'),
    );
    expect(Number.isInteger(set.packedPolicySize)).toBe(true);

    const session = ep.store.lookup(set.credentials.accessKeyId);
    expect(session?.secretAccessKey).toBe(set.credentials.secretAccessKey);
    expect(session?.sessionToken).toBe(set.credentials.sessionToken);
    expect(session?.tags['x509Subject/OU']).toBe('DataCenter-Northeast');
    expect(session?.certificateSerial).toBe(serial);

    const records = ep.audit();
    expect(records).toEqual([
      {
        time: now.toISOString(),
        event: 'CreateSession',
        sourceAddress: '127.0.0.1',
        certificateSerial: serial,
        subject: 'O=Example, OU=DataCenter-Northeast, CN=edge-01',
        trustAnchorArn: arn.anchor,
        profileArn: arn.profile,
        roleArn: arn.role,
        roleSessionName: serial,
        outcome: 'success',
      },
    ]);
    expect(ep.auditText()).not.toContain(set.credentials.secretAccessKey);
    expect(ep.auditText()).not.toContain(set.credentials.sessionToken);
  });

  it('with the ARNs in a JSON body (application/x-amz-json-1.0)', async () => {
    const response = await endpoint().call(await request(good, { arnsInBody: true }));
    expect(response.status).toBe(201);
    expect(json(response).credentialSet[0].roleArn).toBe(arn.role);
  });

  it('clamping the duration to the profile: 43200 asked, 3600 given; 900 asked, 900 given', async () => {
    const long = json(await endpoint().call(await request(good, { durationSeconds: 43200 })));
    expect(long.credentialSet[0].credentials.expiration).toBe(
      new Date(now.getTime() + 3600_000).toISOString().replace('.000Z', 'Z'),
    );
    const short = json(await endpoint().call(await request(good, { durationSeconds: 900 })));
    expect(short.credentialSet[0].credentials.expiration).toBe(
      new Date(now.getTime() + 900_000).toISOString().replace('.000Z', 'Z'),
    );
  });

  it('despite a CRL imported for another anchor or imported disabled', async () => {
    expect((await endpoint().call(await request(misattached))).status).toBe(201);
    expect((await endpoint().call(await request(disabledRevocation))).status).toBe(201);
  });

  it('a custom role session name when the profile accepts one', async () => {
    const ep = endpoint();
    const response = await ep.call(
      await request(good, { profileArn: arn.namedProfile, roleSessionName: 'backup@edge-01' }),
    );
    expect(response.status).toBe(201);
    expect(json(response).credentialSet[0].assumedRoleUser.arn).toBe(
      'arn:aws:sts::123456789012:assumed-role/EdgeBackupRole/backup@edge-01',
    );
    expect(ep.audit()[0]?.roleSessionName).toBe('backup@edge-01');
  });
});

describe('handleCreateSession refuses', () => {
  it('a certificate from another OU, naming the failed condition', async () => {
    const { record } = await expectRefused(
      sales,
      {},
      403,
      'AccessDeniedException',
      'TRUST_POLICY_DENIED',
      'condition StringEquals aws:PrincipalTag/x509Subject/OU failed: the request has "Sales", the policy wants "DataCenter-Northeast"',
    );
    expect(record.certificateSerial).toBe(sales.serialHex.toLowerCase());
    expect(record.subject).toBe('O=Example, OU=Sales, CN=sales-01');
  });

  it('a disabled profile', async () => {
    await expectRefused(
      good,
      { profileArn: arn.disabledProfile },
      403,
      'AccessDeniedException',
      'PROFILE_DISABLED',
      'profile disabled',
    );
  });

  it('a role the profile does not list', async () => {
    await expectRefused(
      good,
      { roleArn: arn.otherRole },
      403,
      'AccessDeniedException',
      'ROLE_NOT_IN_PROFILE',
      `does not list role ${arn.otherRole}`,
    );
  });

  it('a role session name on a profile that does not accept one', async () => {
    await expectRefused(
      good,
      { roleSessionName: 'my-session' },
      403,
      'AccessDeniedException',
      'ROLE_SESSION_NAME_NOT_ACCEPTED',
      'does not accept a custom role session name ("my-session")',
    );
  });

  it('a role session name STS would not take', async () => {
    await expectRefused(
      good,
      { profileArn: arn.namedProfile, roleSessionName: 'has space' },
      400,
      'ValidationException',
      'REQUEST_INVALID',
      'roleSessionName "has space"',
    );
  });

  it('a certificate revoked by an imported CRL', async () => {
    await expectRefused(
      revoked,
      {},
      403,
      'AccessDeniedException',
      'CERT_REVOKED',
      'Untrusted signing certificate: leaf certificate',
    );
  });

  it('a disabled trust anchor even when the certificate chains to it', async () => {
    await expectRefused(
      good,
      { trustAnchorArn: arn.disabledAnchor },
      403,
      'AccessDeniedException',
      'TRUST_ANCHOR_DISABLED',
      'trust anchor disabled-anchor',
    );
  });

  it('a certificate that chains to another anchor than the one named, saying which', async () => {
    await expectRefused(
      stranger,
      {},
      403,
      'AccessDeniedException',
      'CERT_UNTRUSTED',
      `chains to trust anchor other-anchor (${arn.otherAnchor})`,
    );
  });

  it('a duration outside 900..43200', async () => {
    await expectRefused(
      good,
      { durationSeconds: 600 },
      400,
      'ValidationException',
      'REQUEST_INVALID',
      'durationSeconds 600 is not a whole number from 900 to 43200',
    );
  });

  it('a profile duration beyond the role MaxSessionDuration', async () => {
    await expectRefused(
      good,
      { profileArn: arn.longProfile },
      400,
      'ValidationException',
      'DURATION_EXCEEDS_ROLE_MAXIMUM',
      'exceeds the MaxSessionDuration 3600 s',
    );
  });

  it('an unknown profile with 404', async () => {
    const unknown = arn.profile.replace(/profile\/.*/, 'profile/00000000-0000-4000-8000-000000000000');
    await expectRefused(
      good,
      { profileArn: unknown },
      404,
      'ResourceNotFoundException',
      'PROFILE_NOT_FOUND',
      `profile ${unknown} does not exist`,
    );
  });

  it('a request without roleArn', async () => {
    await expectRefused(
      good,
      { roleArn: '' },
      400,
      'ValidationException',
      'REQUEST_INVALID',
      'roleArn is missing',
    );
  });

  it('a request changed after signing', async () => {
    const ep = endpoint();
    const signed = await request(good, { durationSeconds: 900 });
    const tampered = { ...signed, body: Buffer.from(String(signed.body).replace('900', '901')) };
    const response = await ep.call(tampered);
    expect(response.status).toBe(403);
    expect(json(response).message).toContain('Invalid signature');
    expect(ep.audit()[0]).toMatchObject({
      outcome: 'failure',
      errorCode: 'SIGNATURE_INVALID',
      certificateSerial: good.serialHex.toLowerCase(),
    });
  });

  it('a request signed more than 5 minutes before the endpoint clock', async () => {
    const stale = await request(good, { date: new Date(now.getTime() - 301_000) });
    const response = await endpoint().call(stale);
    expect(response.status).toBe(403);
    expect(json(response).message).toContain('Signature expired');
  });
});
