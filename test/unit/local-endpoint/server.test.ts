import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResources } from '../../../src/local-endpoint/resources';
import { createSession } from '../../../src/rolesanywhere/create-session';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import { x509 } from '../../../src/x509/x509';
import { startTestEndpoint, type TestEndpoint } from '../../fixtures/local-endpoint/endpoint';
import { rawRequest, signRequest } from '../../fixtures/local-endpoint/http';
import { createRootCa, issueLeaf, type TestCa, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';

// The article's template: an anchor for the CA, a role trusting rolesanywhere when the
// certificate's OU is DataCenter-Northeast, a profile for the role.
const ARTICLE_TEMPLATE = join(
  import.meta.dirname,
  '..',
  '..',
  'fixtures',
  'local-endpoint',
  'article-template.yaml',
);

const pki = makeTempDir('ra-local-endpoint-pki-');
let ca: TestCa;
let leaf: TestLeaf;
let endpoint: TestEndpoint;
let auditLog: string;

beforeAll(async () => {
  ca = createRootCa(pki.path);
  leaf = issueLeaf(pki.path, ca);
  const resources = loadResources({
    template: ARTICLE_TEMPLATE,
    parameters: { CACertificateBody: ca.certPem },
  });
  auditLog = join(pki.path, 'audit.log');
  endpoint = await startTestEndpoint({ resources, auditLogPath: auditLog });
});

afterAll(async () => {
  await endpoint.stop();
  pki.remove();
});

function arnsOf(resources: {
  trustAnchors: { arn: string }[];
  profiles: { arn: string }[];
  roles: { arn: string }[];
}) {
  return {
    trustAnchorArn: resources.trustAnchors[0]?.arn ?? '',
    profileArn: resources.profiles[0]?.arn ?? '',
    roleArn: resources.roles[0]?.arn ?? '',
  };
}

describe('the local endpoint server', () => {
  it('lists the served resources with their ARNs at GET /_local/resources', async () => {
    const response = await rawRequest(endpoint.url, { method: 'GET', path: '/_local/resources' });
    expect(response.status).toBe(200);
    const resources = JSON.parse(response.body.toString());
    expect(resources.trustAnchors[0].arn).toMatch(
      /^arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor\/[0-9a-f-]{36}$/,
    );
    expect(resources.trustAnchors[0].certificates[0].subject).toContain('Test Root CA');
    expect(resources.profiles[0].arn).toMatch(/:profile\//);
    expect(resources.roles[0].arn).toBe('arn:aws:iam::123456789012:role/EdgeBackupRole');
  });

  it('issues credentials through CreateSession that STS then recognises (the whole chain)', async () => {
    const listed = JSON.parse(
      (await rawRequest(endpoint.url, { method: 'GET', path: '/_local/resources' })).body.toString(),
    );
    const signer = fromKeyObject(createPrivateKey(leaf.keyPem), new x509.X509Certificate(leaf.certPem), []);
    const credentials = await createSession({
      signer,
      ...arnsOf(listed),
      endpoint: endpoint.url,
      retries: { maxAttempts: 1 },
    });
    expect(credentials.accessKeyId).toMatch(/^ASIA/);
    const sts = new STSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(
      `arn:aws:sts::123456789012:assumed-role/EdgeBackupRole/${leaf.serialHex.toLowerCase()}`,
    );
    const records = readFileSync(auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.at(-1)).toMatchObject({ event: 'CreateSession', outcome: 'success' });
    expect(readFileSync(auditLog, 'utf8')).not.toContain(credentials.secretAccessKey);
  });

  it('answers CreateSession beyond the rate with 429 ThrottlingException (bounded burst, fixed clock)', async () => {
    const fixed = new Date();
    const throttled = await startTestEndpoint({ throttleTps: 3, now: () => fixed });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const response = await rawRequest(throttled.url, {
          method: 'POST',
          path: '/sessions',
          headers: { 'content-type': 'application/json' },
          body: '{"durationSeconds":900}',
        });
        statuses.push(response.status);
        if (response.status === 429) {
          expect(response.headers['x-amzn-errortype']).toBe('ThrottlingException');
          expect(JSON.parse(response.body.toString())).toEqual({ message: 'Rate exceeded' });
        }
      }
      // The clock does not move, so exactly the bucket's 3 tokens are spent; the unsigned calls are refused otherwise.
      expect(statuses.slice(0, 3).every((status) => status !== 429)).toBe(true);
      expect(statuses.slice(3)).toEqual([429, 429, 429, 429, 429]);
    } finally {
      await throttled.stop();
    }
  });

  it('refuses bodies over 64 KiB with 413, in the protocol of the route', async () => {
    const big = 'x'.repeat(70 * 1024);
    const sessions = await rawRequest(endpoint.url, { method: 'POST', path: '/sessions', body: big });
    expect(sessions.status).toBe(413);
    expect(JSON.parse(sessions.body.toString()).message).toContain('65536');
    const sts = await rawRequest(endpoint.url, {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: big,
    });
    expect(sts.status).toBe(413);
    expect(sts.body.toString()).toContain('<Code>RequestEntityTooLarge</Code>');
  });

  it('says which services it serves when asked for another', async () => {
    const session = endpoint.issue();
    const url = new URL(endpoint.url);
    const signed = await signRequest(endpoint.url, session, {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded', host: url.host },
      body: 'Action=ListUsers',
      service: 'sts',
    });
    const iamAuthorization =
      signed.headers.authorization?.replace('/sts/aws4_request', '/iam/aws4_request') ?? '';
    const response = await rawRequest(endpoint.url, {
      method: 'POST',
      path: '/',
      headers: { ...signed.headers, authorization: iamAuthorization },
      body: 'Action=ListUsers',
    });
    expect(response.status).toBe(501);
    expect(response.body.toString()).toContain('not the iam service');
  });

  it('listens on loopback only by default', async () => {
    expect(new URL(endpoint.url).hostname).toBe('127.0.0.1');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    if (!external) return; // no other address on this machine to try
    const error = await rawRequest(`http://${external.address}:${endpoint.port}`, {
      method: 'GET',
      path: '/_local/resources',
    }).then(
      () => undefined,
      (caught: NodeJS.ErrnoException) => caught.code,
    );
    expect(error).toBe('ECONNREFUSED');
  });

  it('serves HTTPS with a CA written to the state dir, named for 127.0.0.1, localhost and ::1', async () => {
    const secure = await startTestEndpoint({ tls: true });
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(secure.caBundlePath).toBe(join(secure.stateDir, 'tls', 'ca.pem'));
      const ca = readFileSync(secure.caBundlePath ?? '', 'utf8');
      for (const host of ['127.0.0.1', 'localhost']) {
        const response = await rawRequest(`https://${host}:${secure.port}`, {
          method: 'GET',
          path: '/_local/resources',
          ca,
        });
        expect(response.status).toBe(200);
      }
      const untrusted = await rawRequest(secure.url, { method: 'GET', path: '/_local/resources' }).then(
        () => 'accepted',
        (error: NodeJS.ErrnoException) => error.code,
      );
      expect(untrusted).toBe('SELF_SIGNED_CERT_IN_CHAIN');
      const serverCert = new x509.X509Certificate(
        readFileSync(join(secure.stateDir, 'tls', 'server.pem'), 'utf8'),
      );
      const san = serverCert.getExtension(x509.SubjectAlternativeNameExtension);
      expect(san?.names.items.map((name) => name.value).sort()).toEqual(['127.0.0.1', '::1', 'localhost']);
    } finally {
      await secure.stop();
    }
  });

  it('listens on ::1 when told to, and stops accepting connections on close', async () => {
    const v6 = await startTestEndpoint({ host: '::1' }).catch(() => undefined);
    if (!v6) return; // no IPv6 loopback here
    expect(v6.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await rawRequest(v6.url, { method: 'GET', path: '/_local/resources' })).status).toBe(200);
    await v6.stop();
    const after = await rawRequest(v6.url, { method: 'GET', path: '/_local/resources' }).then(
      () => 'accepted',
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(after).toBe('ECONNREFUSED');
  });
});
