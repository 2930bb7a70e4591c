// Generators of malformed agent requests (deterministic from a seed) and a pipelining client,
// shared by the fuzz test, the e2e memory test and scripts/bench-agent.mjs.
import { connect } from 'node:net';

/** Deterministic PRNG (mulberry32): a failure can be replayed from its seed. */
export function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}

const PATH_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%/!$&'()*+,;=:@?";
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE'];
const BASE_PATHS = [
  '/v1/health',
  '/v1/metrics',
  '/v1/profiles/edge/credentials',
  '/v1/profiles/edge/certificate',
  '/v1/profiles/edge/sign',
  '/v1/profiles/other/sign',
  '/v1/profiles//sign',
  '/v1/profiles/edge/sign/extra',
  '/v1/profiles/../../etc/passwd',
  '/v1',
  '/',
];
const BODIES = [
  '',
  '{',
  '}',
  'null',
  '[]',
  '"x"',
  '{"digest":"SHA256"}',
  '{"digest":"SHA1","data":"AAAA"}',
  '{"digest":"SHA256","data":"***"}',
  '{"digest":"SHA256","data":12}',
  '{"digest":["SHA256"],"data":"AAAA"}',
  '{"digest":"SHA256","data":"AAA"}',
  '{"__proto__":{"digest":"SHA256"},"data":"AAAA"}',
  '{"digest":"SHA256","data":"AAAA"',
  '\u0000\u0001\u0002',
  '9'.repeat(400),
  `${'['.repeat(2000)}${']'.repeat(2000)}`,
];

/**
 * A request that is valid HTTP/1.1 framing (so the connection stays open for the next one) but
 * wrong in every other way: odd methods, mangled paths, broken JSON, bad digests and data,
 * wrong content types. None of them may be answered 2xx except the harmless GETs.
 */
export function semanticGarbage(random: ReturnType<typeof prng>): string {
  // Two in five go to the sign route with a broken body: the JSON and field checks get the most.
  const toSign = random.int(5) < 2;
  const method = toSign ? 'POST' : random.pick(METHODS);
  let path = toSign ? '/v1/profiles/edge/sign' : random.pick(BASE_PATHS);
  const mutation = toSign ? 0 : random.int(5);
  if (mutation === 1)
    path += Array.from({ length: 1 + random.int(40) }, () => random.pick([...PATH_CHARS])).join('');
  if (mutation === 2)
    path = `/v1/profiles/${Array.from({ length: 1 + random.int(300) }, () => random.pick([...PATH_CHARS])).join('')}/sign`;
  if (mutation === 3) path = path.replace(/e/g, '%65');
  let body = method === 'GET' || method === 'HEAD' ? '' : random.pick(BODIES);
  if (random.int(8) === 0)
    body = Buffer.from(Array.from({ length: random.int(200) }, () => 32 + random.int(95))).toString('latin1');
  const type = random.pick([
    'application/json',
    'application/json',
    'text/plain',
    'application/json; charset=utf-8',
    '',
  ]);
  // HEAD/GET with a body is still framed by Content-Length; TRACE must not have one.
  if (method === 'TRACE') body = '';
  return `${method} ${path} HTTP/1.1\r\nHost: agent\r\n${type ? `Content-Type: ${type}\r\n` : ''}Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`;
}

/** Protocol-level garbage: each closes its connection (400), so they get one connection each. */
export function protocolGarbage(random: ReturnType<typeof prng>): Buffer {
  switch (random.int(7)) {
    case 0:
      return Buffer.from(Array.from({ length: 1 + random.int(300) }, () => random.int(256)));
    case 1:
      return Buffer.from(`GET /v1/health HTTP/${random.pick(['1.2', '2.0', '0.9', '1.1.1', 'x'])}\r\n\r\n`);
    case 2:
      return Buffer.from(
        `GET /v1/health HTTP/1.1\r\nContent-Length: ${random.pick(['-1', 'abc', '1, 2', '99999999999999999999'])}\r\n\r\n`,
      );
    case 3:
      return Buffer.from(
        `POST /v1/profiles/edge/sign HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${random.pick(['zz', '-1', 'fffffffffffffffffff'])}\r\nabc\r\n`,
      );
    case 4:
      return Buffer.from(`GET /v1/health HTTP/1.1\r\n${'X: y\r\n'.repeat(200 + random.int(2000))}\r\n`);
    case 5:
      return Buffer.from(`${random.pick(['FOO', 'G ET', 'get', 'BREW'])} /v1/health HTTP/1.1\r\n\r\n`);
    default:
      return Buffer.from(`GET\x00/v1/health HTTP/1.1\r\nHost:\x7f\r\n\r\n`);
  }
}

/**
 * Sends `count` requests made by `make` pipelined on one connection, `window` at a time, and
 * returns the status codes. Requests are made as they are sent, so the client holds little.
 */
export function pipeline(socket: string, count: number, make: () => string, window = 64): Promise<number[]> {
  const inFlight: string[] = [];
  return new Promise((resolve, reject) => {
    const client = connect(socket);
    const statuses: number[] = [];
    let buffer: Buffer = Buffer.alloc(0);
    let sent = 0;
    let expectBody: number | undefined;
    const fill = () => {
      const target = Math.min(count, statuses.length + window);
      let chunk = '';
      while (sent < target) {
        const next = make();
        inFlight.push(next.slice(0, 300));
        chunk += next;
        sent++;
      }
      if (chunk) client.write(chunk, 'latin1');
    };
    client.on('connect', fill);
    client.on('data', (data: Buffer) => {
      buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data]);
      for (;;) {
        if (expectBody !== undefined) {
          if (buffer.length < expectBody) break;
          buffer = buffer.subarray(expectBody);
          expectBody = undefined;
          continue;
        }
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) break;
        const head = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 4);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        const wasHead = inFlight.shift()?.startsWith('HEAD ');
        statuses.push(status);
        expectBody = wasHead ? 0 : length;
      }
      if (statuses.length === count) {
        client.end();
        resolve(statuses);
      } else {
        fill();
      }
    });
    client.on('error', reject);
    client.on('close', () => {
      if (statuses.length < count) {
        reject(
          new Error(
            `connection closed after ${statuses.length} of ${count} answers; next ${JSON.stringify(inFlight[0])}`,
          ),
        );
      }
    });
  });
}
