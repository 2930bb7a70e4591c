import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../helpers/tmp';
import {
  type CannedEndpoint,
  fileProfileYaml,
  freshCredentials,
  makePki,
  rawExchange,
  request,
  startCannedEndpoint,
  startTestAgent,
  type TestAgent,
  waitFor,
} from './agent-fixture';

const tmp = makeTempDir('ra-agent-limits-');
let endpoint: CannedEndpoint;
let test: TestAgent;

beforeAll(async () => {
  const { leaf } = makePki(tmp.path);
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
  const config = [
    'limits:',
    '  headersTimeoutMs: 400',
    '  requestTimeoutMs: 800',
    '  idleTimeoutMs: 1500',
    '  keepAliveTimeoutMs: 300',
    '  maxConnections: 16',
    'profiles:',
    fileProfileYaml('edge', leaf, endpoint.url),
  ].join('\n');
  test = await startTestAgent(tmp.path, config, { logLevel: 'info' });
  await waitFor(() => endpoint.requests.length === 1, 10_000, 'first CreateSession');
});

afterAll(async () => {
  await test?.close();
  await endpoint?.close();
  tmp.remove();
});

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? 0);
}

function bodyOf(answer: string): Record<string, unknown> {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

async function healthy(): Promise<void> {
  const reply = await request(test.socket, 'GET', '/v1/profiles/edge/credentials');
  expect(reply.status).toBe(200);
}

describe('limits: malformed, huge and slow requests', () => {
  it('answers a request that is not HTTP with 400 JSON and closes', async () => {
    for (const garbage of [
      'hello\r\n\r\n',
      'GET /v1/health HTTP/9.9\r\n\r\n',
      '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03',
      'GET / HTTP/1.1\r\nBad Header\r\n\r\n',
    ]) {
      const answer = await rawExchange(test.socket, garbage, 3000);
      expect(statusOf(answer)).toBe(400);
      expect(bodyOf(answer)).toEqual({ code: 'BAD_HTTP', message: 'the request is not valid HTTP/1.1' });
    }
    await healthy();
  });

  it('answers headers over the limit with 431', async () => {
    const answer = await rawExchange(
      test.socket,
      `GET /v1/health HTTP/1.1\r\nX-Big: ${'a'.repeat(16 * 1024)}\r\n\r\n`,
      3000,
    );
    expect(statusOf(answer)).toBe(431);
    expect(bodyOf(answer).code).toBe('HEADERS_TOO_LARGE');
    await healthy();
  });

  it('answers a body declared over 64 KiB with 413 before reading it', async () => {
    const answer = await rawExchange(
      test.socket,
      'POST /v1/profiles/edge/sign HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"dig',
      3000,
    );
    expect(statusOf(answer)).toBe(413);
    expect(answer.toLowerCase()).toContain('connection: close');
  });

  it('answers a chunked body that grows past 64 KiB with 413', async () => {
    const chunk = 'a'.repeat(16 * 1024);
    const chunks = Array.from({ length: 6 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const answer = await rawExchange(
      test.socket,
      `POST /v1/profiles/edge/sign HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
      3000,
    );
    expect(statusOf(answer)).toBe(413);
  });

  it('drops a client that sends its headers too slowly (408) and one that sends nothing', async () => {
    const started = Date.now();
    const slow = connect(test.socket);
    const received: Buffer[] = [];
    slow.on('data', (chunk) => received.push(chunk));
    const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    slow.write('GET /v1/hea');
    const drip = setInterval(() => slow.writable && slow.write('l'), 100);
    await closed;
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(statusOf(Buffer.concat(received).toString())).toBe(408);

    const silent = connect(test.socket);
    const silentStart = Date.now();
    silent.resume(); // read, or the agent's close is never seen
    await new Promise<void>((resolve) => silent.on('close', () => resolve()));
    expect(Date.now() - silentStart).toBeLessThan(3000);
    await healthy();
  });

  it('drops a request whose body never finishes arriving', async () => {
    const started = Date.now();
    const answer = await rawExchange(
      test.socket,
      'POST /v1/profiles/edge/sign HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"digest":',
      5000,
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect([0, 408]).toContain(statusOf(answer));
    await healthy();
  });

  it('closes idle keep-alive connections', async () => {
    const socket: Socket = connect(test.socket);
    socket.resume();
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
    const answered = Date.now();
    const at = await closed;
    expect(at - answered).toBeLessThan(2500);
  });

  it('limits concurrent connections, and recovers once they close', async () => {
    const sockets: Socket[] = Array.from({ length: 24 }, () => connect(test.socket).resume());
    // The kernel accepts all 24; the agent closes what is over its limit of 16 at once, well
    // before any request timeout could close the others.
    const closedSoon = await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<boolean>((resolve) => {
            socket.once('close', () => resolve(true));
            setTimeout(() => resolve(false), 300);
          }),
      ),
    );
    expect(closedSoon.filter(Boolean).length).toBe(8);
    for (const socket of sockets) socket.destroy();
    await waitFor(
      async () => (await request(test.socket, 'GET', '/v1/health')).status === 200,
      5000,
      'health after the burst',
    );
    const metrics = await request(test.socket, 'GET', '/v1/metrics');
    expect(metrics.body).toMatch(
      /^rolesanywhere_agent_rejected_connections_total\{reason="max_connections"\} 8$/m,
    );
    expect(metrics.body).toMatch(
      /^rolesanywhere_agent_rejected_connections_total\{reason="malformed"\} [1-9]\d*$/m,
    );
  });
});
