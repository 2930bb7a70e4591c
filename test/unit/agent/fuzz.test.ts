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
import { pipeline, prng, protocolGarbage, semanticGarbage } from './fuzz-requests';

const tmp = makeTempDir('ra-agent-fuzz-');
let endpoint: CannedEndpoint;
let test: TestAgent;

beforeAll(async () => {
  const { leaf } = makePki(tmp.path);
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
  test = await startTestAgent(
    tmp.path,
    ['profiles:', fileProfileYaml('edge', leaf, endpoint.url)].join('\n'),
    {
      logLevel: 'info',
    },
  );
  await waitFor(() => endpoint.requests.length === 1, 10_000, 'first CreateSession');
});

afterAll(async () => {
  await test?.close();
  await endpoint?.close();
  tmp.remove();
});

describe('fuzzing the agent with malformed requests', () => {
  it('answers 100k malformed requests correctly, keeps answering, and keeps its memory bounded', async () => {
    const random = prng(0x5eed);
    const started = Date.now();
    const rssBefore = process.memoryUsage().rss;

    // 1. 100 000 semantically malformed requests, pipelined over 4 keep-alive connections.
    const total = 100_000;
    const perConnection = total / 4;
    const results = (
      await Promise.all(
        Array.from({ length: 4 }, () => pipeline(test.socket, perConnection, () => semanticGarbage(random))),
      )
    ).flat();
    const pipelinedMs = Date.now() - started;
    expect(results).toHaveLength(total);
    const counts = new Map<number, number>();
    for (const status of results) counts.set(status, (counts.get(status) ?? 0) + 1);
    // Only the GET routes that exist may succeed; nothing is a 5xx; every answer has a status.
    for (const status of counts.keys()) expect([200, 400, 403, 404, 405, 413, 415]).toContain(status);
    expect(counts.get(0)).toBeUndefined();
    expect(counts.get(404)).toBeGreaterThan(1000);
    expect(counts.get(400)).toBeGreaterThan(20_000);
    expect(counts.get(405)).toBeGreaterThan(1000);

    // 2. 2 000 protocol-level malformed requests, each on its own connection, 16 at a time.
    const garbage = Array.from({ length: 2000 }, () => protocolGarbage(random));
    const answers: string[] = [];
    for (let i = 0; i < garbage.length; i += 16) {
      answers.push(
        ...(await Promise.all(
          garbage
            .slice(i, i + 16)
            .map((payload) => rawExchange(test.socket, payload, 3000, { halfClose: true })),
        )),
      );
    }
    answers.forEach((answer, index) => {
      // A 4xx JSON answer, or the connection simply closed (the bytes never formed a request
      // line); llhttp takes any HTTP/<digit>.<digit> version, so such a health request is answered.
      const fine =
        answer === '' ||
        /^HTTP\/1\.1 4\d\d /.test(answer) ||
        (/^GET \/v1\/health HTTP\/\d\.\d\r/.test(garbage[index]?.toString('latin1') ?? '') &&
          /^HTTP\/1\.1 200 /.test(answer));
      expect(
        fine ? 'ok' : `${garbage[index]?.toString('latin1').slice(0, 80)} -> ${answer.slice(0, 80)}`,
      ).toBe('ok');
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(90_000);

    // 3. The agent still answers correctly, and memory did not grow with the requests.
    const credentials = await request(test.socket, 'GET', '/v1/profiles/edge/credentials');
    expect(credentials.status).toBe(200);
    expect(credentials.json().AccessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    const health = await request(test.socket, 'GET', '/v1/health');
    expect(health.status).toBe(200);
    const growthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    process.stderr.write(
      `fuzz: ${total} pipelined (${pipelinedMs} ms) + ${garbage.length} protocol-level malformed requests in ${elapsed} ms; statuses ${JSON.stringify(Object.fromEntries(counts))}; rss growth ${growthMb.toFixed(1)} MiB\n`,
    );
    // Client and agent share this process: the bound covers both (the e2e test measures the agent alone).
    expect(growthMb).toBeLessThan(64);
  }, 120_000);
});
