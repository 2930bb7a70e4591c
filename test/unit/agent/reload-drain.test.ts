import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../helpers/tmp';
import {
  type CannedEndpoint,
  fileProfileYaml,
  freshCredentials,
  makePki,
  type Pki,
  readLines,
  request,
  startCannedEndpoint,
  startTestAgent,
  waitFor,
} from './agent-fixture';

const tmp = makeTempDir('ra-agent-reload-');
let pki: Pki;
let endpoint: CannedEndpoint;

beforeAll(async () => {
  pki = makePki(tmp.path);
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
});

afterAll(async () => {
  await endpoint?.close();
  tmp.remove();
});

const sessionsFor = (durationSeconds: number) =>
  endpoint.requests.filter((sent) => JSON.parse(sent.body).durationSeconds === durationSeconds).length;

describe('reload (SIGHUP) and drain (SIGTERM), in process', () => {
  it('keeps an unchanged profile (key and cached credentials), restarts a changed one, adds and removes', async () => {
    const config = (bDuration: number, withC: boolean, aUids = '[0]') =>
      [
        'profiles:',
        fileProfileYaml('a', pki.leaf, endpoint.url, {}, '    durationSeconds: 3600'),
        fileProfileYaml('b', pki.leaf, endpoint.url, {}, `    durationSeconds: ${bDuration}`),
        ...(withC ? [fileProfileYaml('c', pki.leaf, endpoint.url, {}, '    durationSeconds: 1800')] : []),
      ]
        .join('\n')
        .replace(/( {2}a:[\s\S]*?allow: \{ uids: )\[0\]/, `$1${aUids}`);
    endpoint.requests.length = 0;
    const test = await startTestAgent(tmp.path, config(900, false));
    try {
      await waitFor(() => endpoint.requests.length === 2, 10_000, 'first CreateSessions');
      const aBefore = (await request(test.socket, 'GET', '/v1/profiles/a/credentials')).json();

      test.writeConfig(config(1200, true));
      const result = await test.agent.reload();
      expect(result).toEqual({ kept: ['a'], restarted: ['b'], added: ['c'], removed: [] });
      await waitFor(() => endpoint.requests.length === 4, 10_000, 'CreateSessions of b and c');
      expect(sessionsFor(3600)).toBe(1); // a: still the one from start-up
      expect(sessionsFor(1200)).toBe(1);
      expect(sessionsFor(1800)).toBe(1);
      const aAfter = (await request(test.socket, 'GET', '/v1/profiles/a/credentials')).json();
      expect(aAfter).toEqual(aBefore);
      expect((await request(test.socket, 'GET', '/v1/profiles/c/credentials')).status).toBe(200);

      // Only a's access list changes: still kept, and the new list applies at once.
      test.writeConfig(config(1200, false, '[12345]'));
      expect(await test.agent.reload()).toEqual({
        kept: ['a', 'b'],
        restarted: [],
        added: [],
        removed: ['c'],
      });
      expect((await request(test.socket, 'GET', '/v1/profiles/a/credentials')).status).toBe(403);
      expect((await request(test.socket, 'GET', '/v1/profiles/c/credentials')).status).toBe(404);
      expect(sessionsFor(3600)).toBe(1);

      // A broken config is refused and the running one stays.
      test.writeConfig('profiles:\n  a: {certificate: 42}\n');
      await expect(test.agent.reload()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      expect((await request(test.socket, 'GET', '/v1/profiles/b/credentials')).status).toBe(200);
    } finally {
      await test.close();
    }
  });

  it('says on reload that a changed signingThreads applies at the next restart, and only then', async () => {
    const profiles = ['profiles:', fileProfileYaml('a', pki.leaf, endpoint.url)].join('\n');
    const test = await startTestAgent(tmp.path, profiles);
    const restartNotes = () =>
      readLines(test.logPath).filter((line) => String(line.msg).startsWith('signingThreads changed'));
    try {
      await test.agent.reload();
      expect(restartNotes()).toEqual([]);
      test.writeConfig(`signingThreads: 6\n${profiles}`);
      expect(await test.agent.reload()).toMatchObject({ kept: ['a'] });
      expect(restartNotes()).toEqual([
        expect.objectContaining({
          level: 40,
          signingThreads: 6,
          msg: 'signingThreads changed in the config; it applies at the next restart',
        }),
      ]);
    } finally {
      await test.close();
    }
  });

  it('drains: stops accepting, finishes the request in flight, then closes and removes the socket', async () => {
    const test = await startTestAgent(
      tmp.path,
      ['profiles:', fileProfileYaml('a', pki.leaf, endpoint.url)].join('\n'),
    );
    // A sign request whose body is still arriving when the drain starts.
    const body = JSON.stringify({ digest: 'SHA256', data: Buffer.from('in flight').toString('base64') });
    const client = connect(test.socket);
    const answer = new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      client.on('data', (chunk) => chunks.push(chunk));
      client.on('close', () => resolve(Buffer.concat(chunks).toString()));
    });
    client.write(
      `POST /v1/profiles/a/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await waitFor(() => test.agent.profiles.get('a') !== undefined, 1000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    let closed = false;
    const closing = test.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false);
    // No new connections while draining.
    await expect(request(test.socket, 'GET', '/v1/health')).rejects.toMatchObject({
      code: expect.stringMatching(/ENOENT|ECONNREFUSED/),
    });
    client.write(body.slice(10));
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text).toContain('"signature":');
    await closing;
    expect(closed).toBe(true);
    expect(existsSync(test.socket)).toBe(false);
  });
});
