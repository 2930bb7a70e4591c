import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../helpers/tmp';
import { awsError } from '../rolesanywhere/canned-endpoint';
import {
  type CannedEndpoint,
  fileProfileYaml,
  freshCredentials,
  makePki,
  type Pki,
  request,
  startCannedEndpoint,
  startTestAgent,
  type TestAgent,
  waitFor,
} from './agent-fixture';

const HOUR = 3600_000;
const tmp = makeTempDir('ra-agent-cache-');
let pki: Pki;
let endpoint: CannedEndpoint;
let test: TestAgent | undefined;

/** The agent's clock: the test moves it; the endpoint issues credentials relative to it. */
const clock = { t: Date.parse('2031-03-01T08:00:00Z') };
const now = () => new Date(clock.t);

beforeAll(async () => {
  pki = makePki(tmp.path);
  endpoint = await startCannedEndpoint();
});

afterEach(async () => {
  await test?.close();
  test = undefined;
});

afterAll(async () => {
  await endpoint?.close();
  tmp.remove();
});

async function startWithOneProfile(): Promise<TestAgent> {
  endpoint.requests.length = 0;
  endpoint.respond(freshCredentials(() => clock.t, HOUR));
  const config = [
    'limits: { maxConnections: 4096 }',
    'profiles:',
    fileProfileYaml('edge', pki.leaf, endpoint.url),
  ].join('\n');
  const started = await startTestAgent(tmp.path, config, { now, logLevel: 'info' });
  await waitFor(() => endpoint.requests.length === 1, 10_000, 'first CreateSession');
  await waitFor(
    async () => (await request(started.socket, 'GET', '/v1/health')).status === 200,
    5000,
    'health ok',
  );
  return started;
}

describe('credentials of a running agent', () => {
  it('answers 1000 concurrent requests on expired credentials with exactly one CreateSession', async () => {
    test = await startWithOneProfile();
    clock.t += 2 * HOUR; // the cached credentials are now expired
    const replies = await Promise.all(
      Array.from({ length: 1000 }, () =>
        request((test as TestAgent).socket, 'GET', '/v1/profiles/edge/credentials'),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(1000).fill(200));
    const expirations = new Set(replies.map((reply) => reply.json().Expiration));
    expect(expirations.size).toBe(1);
    expect(Date.parse([...expirations][0] as string)).toBe(Math.floor((clock.t + HOUR) / 1000) * 1000);
    expect(endpoint.requests.length).toBe(2); // the start-up fetch and one refresh: counted at the endpoint
  });

  it('keeps serving valid credentials while CreateSession is denied, without a request storm', async () => {
    test = await startWithOneProfile();
    const first = (await request(test.socket, 'GET', '/v1/profiles/edge/credentials')).json();
    endpoint.respond(awsError(403, 'AccessDeniedException', 'Certificate revoked'));
    clock.t += 50 * 60_000; // past the refresh point (50-75% of an hour), still valid
    const replies = await Promise.all(
      Array.from({ length: 200 }, () =>
        request((test as TestAgent).socket, 'GET', '/v1/profiles/edge/credentials'),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(200).fill(200));
    expect(new Set(replies.map((reply) => reply.json().Expiration))).toEqual(new Set([first.Expiration]));
    await waitFor(() => endpoint.requests.length === 2, 5000, 'the refresh attempt');
    const health = await request(test.socket, 'GET', '/v1/health');
    expect(health.status).toBe(503);
    const profile = (
      health.json().profiles as Record<string, { reasons: string[]; credentials: { valid: boolean } }>
    ).edge;
    expect(profile?.credentials.valid).toBe(true);
    expect(profile?.reasons.join(' ')).toMatch(
      /credential refresh failing \(ACCESS_DENIED\); serving cached credentials/,
    );

    // Expired now, and still denied: errors, but the backoff keeps CreateSession at one more call.
    clock.t += 15 * 60_000;
    const failed = await Promise.all(
      Array.from({ length: 200 }, () =>
        request((test as TestAgent).socket, 'GET', '/v1/profiles/edge/credentials'),
      ),
    );
    expect(new Set(failed.map((reply) => reply.status))).toEqual(new Set([502]));
    expect(failed[0]?.json().code).toBe('ACCESS_DENIED');
    expect(failed[0]?.json().message).toMatch(
      /createsession denied \(403 AccessDeniedException\).*Certificate revoked/,
    );
    expect(endpoint.requests.length).toBeLessThanOrEqual(3);
  });

  it('does not loop on short-lived credentials (clock skew): at most one CreateSession per 30 s', async () => {
    endpoint.requests.length = 0;
    // Credentials that expire 4 minutes after they are issued: inside the 5-minute refresh margin.
    endpoint.respond(freshCredentials(() => clock.t, 4 * 60_000));
    const config = ['profiles:', fileProfileYaml('edge', pki.leaf, endpoint.url)].join('\n');
    test = await startTestAgent(tmp.path, config, { now, logLevel: 'info' });
    await waitFor(() => endpoint.requests.length === 1, 10_000, 'first CreateSession');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(endpoint.requests).toHaveLength(1);
    const reply = await request(test.socket, 'GET', '/v1/profiles/edge/credentials');
    expect(reply.status).toBe(200);
    expect(endpoint.requests).toHaveLength(1);
  });
});
