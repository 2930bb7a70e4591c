import { createPrivateKey } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CachedProvider, createCachedProvider } from '../../../src/credentials/cached-provider';
import { type ImdsServer, startImdsServer } from '../../../src/imds/imds-server';
import { createTokenStore } from '../../../src/imds/token-store';
import { createSession } from '../../../src/rolesanywhere';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import type { Signer } from '../../../src/signer/signer';
import { x509 } from '../../../src/x509/x509';
import { createRootCa, issueLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import {
  awsError,
  type CannedEndpoint,
  hang,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  startCannedEndpoint,
  success,
} from '../rolesanywhere/canned-endpoint';

const TRUST_ANCHOR =
  'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666';
const PROFILE = 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666';
const ROLE = 'arn:aws:iam::123456789012:role/edge/edge-role';
const CREDS = '/latest/meta-data/iam/security-credentials/';
const TTL = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN = 'x-aws-ec2-metadata-token';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request over a fresh connection, as SDKs make them. */
function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function token(base: string, ttl = '21600'): Promise<string> {
  const answer = await call(base, 'PUT', '/latest/api/token', { [TTL]: ttl });
  expect(answer.status).toBe(200);
  return answer.body;
}

const tmp = makeTempDir('ra-imds-');
let signer: Signer;
let endpoint: CannedEndpoint;
const open: Array<{ server: ImdsServer; provider: CachedProvider }> = [];

beforeAll(async () => {
  const ca = createRootCa(tmp.path, 'IMDS Test CA');
  const leaf = issueLeaf(tmp.path, ca, { name: 'imds-device' });
  signer = fromKeyObject(createPrivateKey(leaf.keyPem), new x509.X509Certificate(leaf.certPem), []);
  endpoint = await startCannedEndpoint();
});

afterEach(async () => {
  for (const { server, provider } of open.splice(0)) {
    provider.close();
    await server.close(100);
  }
  endpoint.respond(success);
  endpoint.requests.length = 0;
});

afterAll(async () => {
  await endpoint.close();
  tmp.remove();
});

async function serve(
  options: { host?: string; now?: () => number; credentialsTimeoutMs?: number; retries?: number } = {},
) {
  const provider = createCachedProvider(() =>
    createSession({
      signer,
      trustAnchorArn: TRUST_ANCHOR,
      profileArn: PROFILE,
      roleArn: ROLE,
      endpoint: endpoint.url,
      retries: { maxAttempts: options.retries ?? 1 },
    }),
  );
  const server = await startImdsServer({
    host: options.host ?? '127.0.0.1',
    port: 0,
    provider,
    roleName: 'edge-role',
    profileArn: PROFILE,
    lastUpdated: () => provider.status().fetchedAt,
    ...(options.now ? { tokens: createTokenStore({ now: options.now }) } : {}),
    ...(options.credentialsTimeoutMs ? { credentialsTimeoutMs: options.credentialsTimeoutMs } : {}),
  });
  open.push({ server, provider });
  return { server, provider, base: server.url };
}

describe('IMDSv2 endpoint', () => {
  it('hands out a token, the role name and the role credentials', async () => {
    const { base, server } = await serve();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const put = await call(base, 'PUT', '/latest/api/token', { [TTL]: '60' });
    expect(put.status).toBe(200);
    expect(put.headers[TTL]).toBe('60');
    expect(put.body).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const list = await call(base, 'GET', CREDS, { [TOKEN]: put.body });
    expect(list.status).toBe(200);
    expect(list.body).toBe('edge-role');
    expect(Number(list.headers[TTL])).toBeGreaterThan(55);

    const creds = await call(base, 'GET', `${CREDS}edge-role`, { [TOKEN]: put.body });
    expect(creds.status).toBe(200);
    expect(creds.headers['content-type']).toBe('application/json');
    expect(creds.headers['cache-control']).toBe('no-store');
    const doc = JSON.parse(creds.body);
    expect(doc).toEqual({
      Code: 'Success',
      LastUpdated: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      Type: 'AWS-HMAC',
      AccessKeyId: 'ASIAEXAMPLEACCESSKEY',
      SecretAccessKey: SECRET_ACCESS_KEY,
      Token: SESSION_TOKEN,
      Expiration: '2030-01-01T00:00:00Z',
    });
    expect(Math.abs(Date.parse(doc.LastUpdated) - Date.now())).toBeLessThan(5_000);
    // The trailing-slash spellings aws_signing_helper accepts.
    expect((await call(base, 'GET', `${CREDS}edge-role/`, { [TOKEN]: put.body })).status).toBe(200);
    expect((await call(base, 'GET', CREDS.slice(0, -1), { [TOKEN]: put.body })).body).toBe('edge-role');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('answers 401 without a token, with an unknown one and with an expired one', async () => {
    const clock = { t: Date.now() };
    const { base } = await serve({ now: () => clock.t });
    expect((await call(base, 'GET', CREDS)).status).toBe(401);
    expect((await call(base, 'GET', `${CREDS}edge-role`)).status).toBe(401);
    expect((await call(base, 'GET', '/latest/meta-data/other')).status).toBe(401);
    expect((await call(base, 'GET', CREDS, { [TOKEN]: 'made-up' })).status).toBe(401);
    const short = await token(base, '5');
    expect((await call(base, 'GET', CREDS, { [TOKEN]: short })).status).toBe(200);
    clock.t += 5_000;
    const expired = await call(base, 'GET', `${CREDS}edge-role`, { [TOKEN]: short });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatch(/expired/);
    expect(expired.body).not.toContain('AccessKeyId');
    expect(endpoint.requests).toHaveLength(0);
  });

  it('takes token TTLs of 1..21600 seconds and answers 400 otherwise', async () => {
    const { base } = await serve();
    for (const ttl of ['1', '21600']) {
      expect((await call(base, 'PUT', '/latest/api/token', { [TTL]: ttl })).status).toBe(200);
    }
    expect((await call(base, 'PUT', '/latest/api/token')).status).toBe(400);
    for (const ttl of ['0', '21601', '-1', 'soon', '']) {
      const answer = await call(base, 'PUT', '/latest/api/token', { [TTL]: ttl });
      expect(answer.status, `ttl ${ttl}`).toBe(400);
    }
    expect((await call(base, 'GET', '/latest/api/token', { [TTL]: '60' })).status).toBe(405);
  });

  it('refuses requests that carry X-Forwarded-For (403), as EC2 does', async () => {
    const { base } = await serve();
    const put = await call(base, 'PUT', '/latest/api/token', {
      [TTL]: '60',
      'X-Forwarded-For': '203.0.113.9',
    });
    expect(put.status).toBe(403);
    const good = await token(base);
    const get = await call(base, 'GET', `${CREDS}edge-role`, {
      [TOKEN]: good,
      'x-forwarded-for': '10.0.0.1',
    });
    expect(get.status).toBe(403);
    expect(get.body).not.toContain(SECRET_ACCESS_KEY);
  });

  it('answers 404 for another role or path, and 405 for other methods', async () => {
    const { base } = await serve();
    const t = await token(base);
    expect((await call(base, 'GET', `${CREDS}other-role`, { [TOKEN]: t })).status).toBe(404);
    expect((await call(base, 'GET', `${CREDS}edge`, { [TOKEN]: t })).status).toBe(404);
    expect((await call(base, 'GET', '/latest/meta-data/', { [TOKEN]: t })).status).toBe(404);
    expect((await call(base, 'POST', `${CREDS}edge-role`, { [TOKEN]: t })).status).toBe(405);
    const head = await call(base, 'HEAD', CREDS, { [TOKEN]: t });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('serves iam/info with the Roles Anywhere profile', async () => {
    const { base } = await serve();
    const info = await call(base, 'GET', '/latest/meta-data/iam/info', { [TOKEN]: await token(base) });
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toEqual({
      Code: 'Success',
      LastUpdated: expect.any(String),
      InstanceProfileArn: PROFILE,
      InstanceProfileId: '9f8e7d6c-1111-4222-8333-444455556666',
    });
  });

  it('answers 500 with the reason, never empty credentials, when CreateSession is refused', async () => {
    endpoint.respond(
      awsError(403, 'AccessDeniedException', 'Untrusted certificate. Insufficient certificate'),
    );
    const { base } = await serve();
    const answer = await call(base, 'GET', `${CREDS}edge-role`, { [TOKEN]: await token(base) });
    expect(answer.status).toBe(500);
    const doc = JSON.parse(answer.body);
    expect(doc.Code).toBe('ACCESS_DENIED');
    expect(doc.Message).toMatch(/Untrusted certificate/i);
    expect(doc).not.toHaveProperty('AccessKeyId');
    expect(doc).not.toHaveProperty('Token');
  });

  it('keeps serving the cached credentials while the endpoint fails', async () => {
    const { base, provider } = await serve();
    const t = await token(base);
    expect((await call(base, 'GET', `${CREDS}edge-role`, { [TOKEN]: t })).status).toBe(200);
    endpoint.respond(awsError(500, 'InternalServerException', 'try later'));
    await expect(provider.refresh()).rejects.toMatchObject({ code: expect.any(String) });
    const again = await call(base, 'GET', `${CREDS}edge-role`, { [TOKEN]: t });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body).AccessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
  });

  it('answers 500 (not a hang) when CreateSession takes too long', async () => {
    endpoint.respond(hang);
    const { base } = await serve({ credentialsTimeoutMs: 300 });
    const started = Date.now();
    const answer = await call(base, 'GET', `${CREDS}edge-role`, { [TOKEN]: await token(base) });
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body).Code).toBe('CREDENTIALS_PENDING');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('makes one CreateSession for many concurrent credential requests', async () => {
    const { base } = await serve();
    const t = await token(base);
    const answers = await Promise.all(
      Array.from({ length: 25 }, () => call(base, 'GET', `${CREDS}edge-role`, { [TOKEN]: t })),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('listens on ::1', async () => {
    const { base, server } = await serve({ host: '::1' });
    expect(server.address).toBe('::1');
    expect(base).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const answer = await call(base, 'GET', `${CREDS}edge-role`, { [TOKEN]: await token(base) });
    expect(answer.status).toBe(200);
  });

  it('refuses oversized bodies and headers', async () => {
    const { base } = await serve();
    const big = await call(base, 'PUT', '/latest/api/token', { [TTL]: '60' }, 'x'.repeat(4096));
    expect(big.status).toBe(413);
    const huge = await call(base, 'PUT', '/latest/api/token', {
      [TTL]: '60',
      'x-padding': 'y'.repeat(16 * 1024),
    });
    expect(huge.status).toBe(431);
  });

  it('drops a connection that never finishes its headers', async () => {
    const provider = createCachedProvider(async () => {
      throw new Error('not used');
    });
    const server = await startImdsServer({
      port: 0,
      provider,
      roleName: 'edge-role',
      headersTimeoutMs: 300,
      requestTimeoutMs: 300,
    });
    open.push({ server, provider });
    let received = '';
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const socket = connect(server.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n'));
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(Date.now() - started));
      setTimeout(() => reject(new Error('still open after 5 s')), 5_000).unref();
    });
    expect(closedAfter).toBeLessThan(5_000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('says which port is taken', async () => {
    const { server } = await serve();
    const provider = createCachedProvider(async () => {
      throw new Error('not used');
    });
    await expect(
      startImdsServer({ host: '127.0.0.1', port: server.port, provider, roleName: 'edge-role' }),
    ).rejects.toMatchObject({ code: 'LISTEN_FAILED', hint: expect.stringContaining('--port') });
  });
});
