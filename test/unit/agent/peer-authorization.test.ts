import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../../helpers/tools';
import {
  type CannedEndpoint,
  fileProfileYaml,
  freshCredentials,
  makePki,
  makeSharedTempDir,
  readLines,
  request,
  startCannedEndpoint,
  startTestAgent,
  type TestAgent,
  waitFor,
} from './agent-fixture';

const NOBODY = 65534;
const TEAM = 4242;
const run = promisify(execFile);
const tmp = makeSharedTempDir('ra-agent-peer-');
let endpoint: CannedEndpoint;
let test: TestAgent;

/**
 * curl through the agent socket as uid/gid 65534, a real other user: with no supplementary groups
 * unless `groups` lists some.
 */
async function curlAsNobody(
  method: string,
  path: string,
  body?: string,
  groups: number[] = [],
): Promise<{ status: number; body: string }> {
  const args = [
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups',
    'curl',
    '-s',
    '-X',
    method,
    '--unix-socket',
    test.socket,
    ...(body ? ['-H', 'content-type: application/json', '--data', body] : []),
    '-w',
    '\n%{http_code}',
    `http://localhost${path}`,
  ];
  const { stdout } = await run(requireTool('/usr/bin/setpriv', 'util-linux'), args);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

beforeAll(async () => {
  const { leaf } = makePki(tmp.path);
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
  const config = [
    `socketGroup: ${NOBODY}`,
    'profiles:',
    // root may read credentials but is not on the sign list.
    fileProfileYaml('edge', leaf, endpoint.url, { allowUids: [0], signUids: [] }),
    // uid 65534 gets in through its gid.
    fileProfileYaml('shared', leaf, endpoint.url, { allowUids: [], allowGids: [NOBODY], signUids: [] }),
    // ... and here only through a supplementary group.
    fileProfileYaml('team', leaf, endpoint.url, { allowUids: [], allowGids: [TEAM], signUids: [] }),
  ].join('\n');
  test = await startTestAgent(tmp.path, config);
  await waitFor(() => endpoint.requests.length === 3, 10_000, 'first CreateSessions');
});

afterAll(async () => {
  await test?.close();
  await endpoint?.close();
  tmp.remove();
});

describe('peer authorization', () => {
  it('gives a configured group access to the socket: 0660 socket, 0710 directory, owned by the group', () => {
    const socket = statSync(test.socket);
    expect(socket.mode & 0o777).toBe(0o660);
    expect(socket.gid).toBe(NOBODY);
    const dir = statSync(`${tmp.path}/run`);
    expect(dir.mode & 0o777).toBe(0o710);
    expect(dir.gid).toBe(NOBODY);
  });

  it('refuses another uid with 403 and writes an audit record naming it', async () => {
    const reply = await curlAsNobody('GET', '/v1/profiles/edge/credentials');
    expect(reply.status).toBe(403);
    const body = JSON.parse(reply.body);
    expect(body.code).toBe('FORBIDDEN');
    expect(body.message).toContain(`uid ${NOBODY}`);
    expect(body.message).toContain('"edge"');
    expect(reply.body).not.toContain('AccessKeyId');
    await waitFor(
      () => readLines(test.auditPath).some((line) => line.uid === NOBODY && line.outcome === 'denied'),
      5000,
      'audit record of the refusal',
    );
    const record = readLines(test.auditPath).find((line) => line.uid === NOBODY && line.outcome === 'denied');
    expect(record).toMatchObject({
      operation: 'credentials',
      outcome: 'denied',
      status: 403,
      profile: 'edge',
      uid: NOBODY,
      gid: NOBODY,
      code: 'FORBIDDEN',
    });
    expect(record?.pid).toEqual(expect.any(Number));
    expect(record?.pid).not.toBe(process.pid);
  });

  it('lets the same uid in on a profile that lists its gid', async () => {
    const reply = await curlAsNobody('GET', '/v1/profiles/shared/credentials');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).AccessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    // ... but not to sign with it: the gid is on the allow list, not the sign list.
    const sign = await curlAsNobody(
      'POST',
      '/v1/profiles/shared/sign',
      JSON.stringify({ digest: 'SHA256', data: 'AAAA' }),
    );
    expect(sign.status).toBe(403);
  });

  it('lets a client in through a supplementary group, as the kernel recorded it at connect()', async () => {
    const member = await curlAsNobody('GET', '/v1/profiles/team/credentials', undefined, [TEAM]);
    expect(member.status).toBe(200);
    expect(JSON.parse(member.body).AccessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    const outsider = await curlAsNobody('GET', '/v1/profiles/team/credentials', undefined, [4343]);
    expect(outsider.status).toBe(403);
  });

  it('refuses raw signing to a peer on the credentials list but not on the sign list', async () => {
    const credentials = await request(test.socket, 'GET', '/v1/profiles/edge/credentials');
    expect(credentials.status).toBe(200);
    const certificate = await request(test.socket, 'GET', '/v1/profiles/edge/certificate');
    expect(certificate.status).toBe(200);
    const sign = await request(
      test.socket,
      'POST',
      '/v1/profiles/edge/sign',
      JSON.stringify({ digest: 'SHA256', data: Buffer.from('x').toString('base64') }),
      { 'content-type': 'application/json' },
    );
    expect(sign.status).toBe(403);
    expect(sign.json().code).toBe('FORBIDDEN');
    expect(sign.json().message).toMatch(/may not sign with profile "edge"/);
    await waitFor(
      () =>
        readLines(test.auditPath).some(
          (line) => line.operation === 'sign' && line.uid === 0 && line.outcome === 'denied',
        ),
      5000,
      'audit record of the sign refusal',
    );
  });
});
