import { createPublicKey, verify } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftHsmToken, importCertificate, importKey, type SoftHsmToken } from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';
import {
  type CannedEndpoint,
  freshCredentials,
  makePki,
  type Pki,
  PROFILE_ARN,
  ROLE_ARN,
  request,
  startCannedEndpoint,
  TRUST_ANCHOR,
} from '../unit/agent/agent-fixture';
import { spawnEntry, waitUntilHealthy } from '../unit/agent/agent-process';

const PIN = '2468';
const tmp = makeTempDir('ra-agent-threads-');
let token: SoftHsmToken;
let pki: Pki;
let endpoint: CannedEndpoint;
let pinFile: string;
let count = 0;

beforeAll(async () => {
  token = createSoftHsmToken(tmp.path, 'ra-threads', PIN);
  // RSA: a signature takes SoftHSM about half a millisecond, so requests queue up behind the
  // signing threads and every allowed thread starts even on a loaded machine (ECDSA is too quick).
  pki = makePki(tmp.path, 'rsa-2048');
  importKey(token, pki.leaf.keyPath, '01', 'device');
  importCertificate(token, pki.leaf.certPath, '01', 'device');
  pinFile = join(tmp.path, 'pin');
  writeFileSync(pinFile, PIN, { mode: 0o600 });
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
});

afterAll(async () => {
  await endpoint?.close();
  tmp.remove();
});

/** Threads of a process by name, as `top -H` shows them. */
function threadsNamed(pid: number, name: string): number {
  return readdirSync(`/proc/${pid}/task`).filter(
    (task) => readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim() === name,
  ).length;
}

/** Starts the agent on the token, has it sign `total` times 64 at a time, and counts its signing threads. */
async function signingThreadsUnderLoad(configLine: string, total: number): Promise<number> {
  const n = ++count;
  const config = join(tmp.path, `agent-${n}.yaml`);
  const socket = join(tmp.path, `run-${n}`, 'agent.sock');
  writeFileSync(
    config,
    [
      configLine,
      'profiles:',
      '  hsm:',
      `    pkcs11: "pkcs11:token=ra-threads;id=%01;type=private?module-path=${token.module}&pin-source=${pinFile}"`,
      `    trustAnchorArn: ${TRUST_ANCHOR}`,
      `    profileArn: ${PROFILE_ARN}`,
      `    roleArn: ${ROLE_ARN}`,
      `    endpoint: ${endpoint.url}`,
      '    allow: { uids: [0] }',
      `    sign: { uids: [${process.getuid?.() ?? 0}] }`,
    ].join('\n'),
  );
  const agent = await spawnEntry(
    ['agent', '--config', config, '--socket', socket, '--audit-log', join(tmp.path, `audit-${n}.log`)],
    {
      env: token.env,
    },
  );
  try {
    await waitUntilHealthy(agent, socket, 20_000);
    const publicKey = createPublicKey(pki.leaf.certPem);
    let sent = 0;
    let verified = 0;
    const client = async () => {
      while (sent < total) {
        const data = Buffer.from(`message ${sent++}`);
        const reply = await request(
          socket,
          'POST',
          '/v1/profiles/hsm/sign',
          JSON.stringify({ digest: 'SHA256', data: data.toString('base64') }),
          { 'content-type': 'application/json' },
        );
        expect(reply.status).toBe(200);
        const signature = Buffer.from(reply.json().signature as string, 'base64');
        if (verify('sha256', data, publicKey, signature)) verified++;
      }
    };
    await Promise.all(Array.from({ length: 64 }, client));
    expect(verified).toBe(total);
    return threadsNamed(agent.child.pid as number, 'ra-token-sign');
  } finally {
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  }
}

describe('the agent signing threads', () => {
  it('default to one per core but one, leaving a core to the event loop', async () => {
    const threads = await signingThreadsUnderLoad('logLevel: warn', 400);
    expect(threads).toBeGreaterThanOrEqual(1);
    expect(threads).toBeLessThanOrEqual(Math.max(1, availableParallelism() - 1));
  });

  it('follow signingThreads in the config (a network HSM wants more than cores)', async () => {
    expect(await signingThreadsUnderLoad('signingThreads: 3', 400)).toBe(3);
  });
});
