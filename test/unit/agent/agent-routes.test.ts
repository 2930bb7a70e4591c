import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../helpers/tmp';
import { SECRET_ACCESS_KEY, SESSION_TOKEN } from '../rolesanywhere/canned-endpoint';
import {
  type CannedEndpoint,
  fileProfileYaml,
  freshCredentials,
  makePki,
  type Pki,
  PROFILE_ARN,
  ROLE_ARN,
  readLines,
  request,
  startCannedEndpoint,
  startTestAgent,
  type TestAgent,
  waitFor,
} from './agent-fixture';

const tmp = makeTempDir('ra-agent-routes-');
let endpoint: CannedEndpoint;
let ec: Pki;
let rsa: Pki;
let test: TestAgent;

beforeAll(async () => {
  ec = makePki(tmp.path, 'ec-p256');
  rsa = makePki(tmp.path, 'rsa-2048');
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
  const config = [
    'profiles:',
    fileProfileYaml('edge', ec.leaf, endpoint.url),
    fileProfileYaml('rsa', rsa.leaf, endpoint.url),
  ].join('\n');
  test = await startTestAgent(tmp.path, config);
  // Background refresh: both profiles have credentials before anyone asks.
  await waitFor(() => endpoint.requests.length === 2, 10_000, 'first CreateSession of both profiles');
});

afterAll(async () => {
  await test?.close();
  await endpoint?.close();
  if (!process.env.KEEP) tmp.remove();
});

describe('agent routes', () => {
  it('fetches credentials ahead of the first request and serves them from memory', async () => {
    const before = endpoint.requests.length;
    const reply = await request(test.socket, 'GET', '/v1/profiles/edge/credentials');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['cache-control']).toBe('no-store');
    const output = reply.json();
    expect(output).toEqual({
      Version: 1,
      AccessKeyId: 'ASIAEXAMPLEACCESSKEY',
      SecretAccessKey: SECRET_ACCESS_KEY,
      SessionToken: SESSION_TOKEN,
      Expiration: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(Date.parse(output.Expiration as string)).toBeGreaterThan(Date.now() + 3000_000);
    expect(endpoint.requests.length).toBe(before);
    // Each profile's CreateSession carried its own certificate and the configured ARNs.
    const derOf = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    const sentCerts = endpoint.requests.map((sent) => sent.headers['x-amz-x509']).sort();
    expect(sentCerts).toEqual([derOf(ec.leaf.certPem), derOf(rsa.leaf.certPem)].sort());
    expect(
      endpoint.requests.every(
        (sent) => sent.query.profileArn === PROFILE_ARN && sent.query.roleArn === ROLE_ARN,
      ),
    ).toBe(true);
  });

  it('serves the certificate as read-certificate-data JSON plus the chain', async () => {
    const reply = await request(test.socket, 'GET', '/v1/profiles/rsa/certificate');
    expect(reply.status).toBe(200);
    const data = reply.json();
    expect(data.keyType).toBe('RSA');
    expect(data.serialNumber).toBe(BigInt(`0x${rsa.leaf.serialHex}`).toString(10));
    expect(data.supportedAlgorithms).toEqual(['SHA256', 'SHA384', 'SHA512']);
    const der = Buffer.from(data.certificateData as string, 'base64');
    const pemBody = rsa.leaf.certPem.replace(/-----[^-]+-----|\s/g, '');
    expect(der.toString('base64')).toBe(pemBody);
    expect(data.chain).toEqual([]);
  });

  it.each([
    ['edge', 'SHA256'],
    ['edge', 'SHA384'],
    ['rsa', 'SHA512'],
  ] as const)(
    'signs data for profile %s with %s; the signature verifies with the certificate',
    async (profile, digest) => {
      const data = Buffer.from(`data to sign for ${profile} ${digest}`);
      const reply = await request(
        test.socket,
        'POST',
        `/v1/profiles/${profile}/sign`,
        JSON.stringify({ digest, data: data.toString('base64') }),
        { 'content-type': 'application/json' },
      );
      expect(reply.status).toBe(200);
      const { signature } = reply.json() as { signature: string };
      const cert = profile === 'edge' ? ec.leaf.certPem : rsa.leaf.certPem;
      const key = { key: createPublicKey(cert), dsaEncoding: 'der' as const };
      expect(verify(digest.toLowerCase(), data, key, Buffer.from(signature, 'base64'))).toBe(true);
      expect(
        verify(digest.toLowerCase(), Buffer.from('other data'), key, Buffer.from(signature, 'base64')),
      ).toBe(false);
    },
  );

  it('reports health ok with per-profile state and no secrets', async () => {
    const reply = await request(test.socket, 'GET', '/v1/health');
    expect(reply.status).toBe(200);
    const health = reply.json() as {
      status: string;
      profiles: Record<string, { status: string; key: { state: string }; credentials: { valid: boolean } }>;
    };
    expect(health.status).toBe('ok');
    expect(Object.keys(health.profiles).sort()).toEqual(['edge', 'rsa']);
    expect(health.profiles.edge?.key.state).toBe('ready');
    expect(health.profiles.edge?.credentials.valid).toBe(true);
    expect(reply.body).not.toContain(SECRET_ACCESS_KEY);
    expect(reply.body).not.toContain(SESSION_TOKEN);
    expect(reply.body).not.toContain('ASIAEXAMPLEACCESSKEY');
  });

  it('exposes Prometheus metrics: requests, CreateSession, signatures, cache hits, credential age, key status, memory', async () => {
    await request(test.socket, 'GET', '/v1/profiles/edge/credentials');
    const reply = await request(test.socket, 'GET', '/v1/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = reply.body;
    expect(text).toMatch(/^# TYPE rolesanywhere_agent_requests_total counter$/m);
    expect(text).toMatch(
      /^rolesanywhere_agent_requests_total\{route="credentials",outcome="ok"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(/^rolesanywhere_agent_create_session_total\{profile="edge"\} 1$/m);
    expect(text).toMatch(
      /^rolesanywhere_agent_signatures_total\{profile="edge",purpose="create_session"\} 1$/m,
    );
    expect(text).toMatch(/^rolesanywhere_agent_signatures_total\{profile="edge",purpose="sign"\} [1-9]\d*$/m);
    expect(text).toMatch(/^rolesanywhere_agent_credential_cache_hits_total\{profile="edge"\} [1-9]\d*$/m);
    expect(text).toMatch(/^rolesanywhere_agent_credentials_age_seconds\{profile="edge"\} \d+$/m);
    expect(text).toMatch(/^rolesanywhere_agent_key_up\{profile="rsa"\} 1$/m);
    // This process is the agent here: its resident memory is megabytes, not zero or garbage.
    const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1]);
    expect(rss).toBeGreaterThan(10 * 2 ** 20);
    const heapUsed = Number(/^nodejs_heap_size_used_bytes (\d+)$/m.exec(text)?.[1]);
    const heapTotal = Number(/^nodejs_heap_size_total_bytes (\d+)$/m.exec(text)?.[1]);
    expect(heapUsed).toBeGreaterThan(0);
    expect(heapUsed).toBeLessThanOrEqual(heapTotal);
    expect(text).not.toContain(SECRET_ACCESS_KEY);
  });

  it('answers errors as JSON {message, code} with the right status', async () => {
    const cases: [string, string, string | undefined, Record<string, string>, number, string][] = [
      ['GET', '/v1/profiles/nope/credentials', undefined, {}, 404, 'PROFILE_NOT_FOUND'],
      ['GET', '/v1/profiles/..%2f/credentials', undefined, {}, 404, 'PROFILE_NOT_FOUND'],
      ['GET', '/v2/health', undefined, {}, 404, 'ROUTE_NOT_FOUND'],
      ['GET', '/', undefined, {}, 404, 'ROUTE_NOT_FOUND'],
      ['POST', '/v1/profiles/edge/credentials', '{}', {}, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/v1/profiles/edge/sign', undefined, {}, 405, 'METHOD_NOT_ALLOWED'],
      [
        'POST',
        '/v1/profiles/edge/sign',
        '{not json',
        { 'content-type': 'application/json' },
        400,
        'INVALID_JSON',
      ],
      [
        'POST',
        '/v1/profiles/edge/sign',
        '[1,2]',
        { 'content-type': 'application/json' },
        400,
        'INVALID_JSON',
      ],
      ['POST', '/v1/profiles/edge/sign', '{"digest":"MD5","data":""}', {}, 400, 'INVALID_DIGEST'],
      ['POST', '/v1/profiles/edge/sign', '{"digest":"SHA256","data":"not base64!"}', {}, 400, 'INVALID_DATA'],
      ['POST', '/v1/profiles/edge/sign', '{"digest":"SHA256"}', {}, 400, 'INVALID_DATA'],
      [
        'POST',
        '/v1/profiles/edge/sign',
        'digest=SHA256',
        { 'content-type': 'application/x-www-form-urlencoded' },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
    ];
    for (const [method, path, body, headers, status, code] of cases) {
      const reply = await request(test.socket, method, path, body, headers);
      expect({ method, path, status: reply.status }).toEqual({ method, path, status });
      expect(reply.headers['content-type']).toBe('application/json');
      const json = reply.json();
      expect(json.code).toBe(code);
      expect(typeof json.message).toBe('string');
    }
    const allowed = await request(test.socket, 'POST', '/v1/health');
    expect(allowed.headers.allow).toBe('GET, HEAD');
  });

  it('refuses a body over 64 KiB with 413 and closes the connection', async () => {
    const big = JSON.stringify({ digest: 'SHA256', data: Buffer.alloc(70 * 1024).toString('base64') });
    const reply = await request(test.socket, 'POST', '/v1/profiles/edge/sign', big, {
      'content-type': 'application/json',
    });
    expect(reply.status).toBe(413);
    expect(reply.json().code).toBe('BODY_TOO_LARGE');
    expect(reply.headers.connection).toBe('close');
  });

  it('works with curl --unix-socket', async () => {
    // Async: the agent runs in this process and must keep answering while curl waits.
    const curl = promisify(execFile);
    const out = (
      await curl('curl', [
        '-sS',
        '--unix-socket',
        test.socket,
        'http://localhost/v1/profiles/edge/credentials',
      ])
    ).stdout;
    expect(JSON.parse(out).AccessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    const status = (
      await curl('curl', [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '--unix-socket',
        test.socket,
        'http://localhost/v1/nothing',
      ])
    ).stdout;
    expect(status).toBe('404');
  });

  it('answers a bare HTTP/1.1 request without Host, as the C client sends it', async () => {
    const { rawExchange } = await import('./agent-fixture');
    const answer = await rawExchange(
      test.socket,
      'GET /v1/profiles/edge/credentials HTTP/1.1\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain('"AccessKeyId":"ASIAEXAMPLEACCESSKEY"');
  });

  it('writes an audit line per profile operation with peer, profile, outcome and serial, and no secrets', async () => {
    await request(test.socket, 'GET', '/v1/profiles/edge/credentials');
    await waitFor(
      () => readLines(test.auditPath).some((line) => line.operation === 'credentials'),
      5000,
      'audit line',
    );
    const lines = readLines(test.auditPath);
    const line = lines.find((entry) => entry.operation === 'credentials' && entry.outcome === 'ok');
    expect(line).toMatchObject({
      audit: true,
      operation: 'credentials',
      outcome: 'ok',
      status: 200,
      profile: 'edge',
      uid: 0,
      gid: 0,
      pid: process.pid,
      serial: BigInt(`0x${ec.leaf.serialHex}`).toString(10),
    });
    expect(typeof line?.time).toBe('string');
    const text = readFileSync(test.auditPath, 'utf8');
    expect(text).not.toContain(SECRET_ACCESS_KEY);
    expect(text).not.toContain(SESSION_TOKEN);
    expect(lines.some((entry) => entry.operation === 'sign' && entry.digest === 'SHA384')).toBe(true);
    // The agent's own log, at debug level, has no secret either.
    const log = readFileSync(test.logPath, 'utf8');
    expect(log).toContain('"level":20');
    expect(log).toContain('credentials refreshed');
    expect(log).not.toContain(SECRET_ACCESS_KEY);
    expect(log).not.toContain(SESSION_TOKEN);
  });

  it('makes the socket 0600 in a 0700 directory', () => {
    expect(statSync(test.socket).mode & 0o777).toBe(0o600);
    expect(statSync(`${tmp.path}/run`).mode & 0o777).toBe(0o700);
  });
});
