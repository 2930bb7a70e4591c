import { createPublicKey, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootCa, issueLeaf, type TestLeaf } from '../../helpers/pki';
import { addSoftHsmToken, createSoftHsmToken, importKey, type SoftHsmToken } from '../../helpers/softhsm';
import { makeTempDir } from '../../helpers/tmp';
import {
  type CannedEndpoint,
  freshCredentials,
  PROFILE_ARN,
  ROLE_ARN,
  request,
  startCannedEndpoint,
  startTestAgent,
  type TestAgent,
  TRUST_ANCHOR,
  waitFor,
} from './agent-fixture';

const tmp = makeTempDir('ra-agent-late-');
let token: SoftHsmToken;
let early: TestLeaf;
let late: TestLeaf;
let pinFile: string;
let endpoint: CannedEndpoint;

type Health = { status: string; profiles: Record<string, { status: string; reasons: string[] }> };
const health = async (test: TestAgent) =>
  (await request(test.socket, 'GET', '/v1/health')).json() as unknown as Health;

/** Signs through the agent; true only when the signature verifies with `leaf`'s certificate. */
async function signs(test: TestAgent, profile: string, leaf: TestLeaf): Promise<boolean> {
  const data = Buffer.from(`signed by ${profile}`);
  const reply = await request(
    test.socket,
    'POST',
    `/v1/profiles/${profile}/sign`,
    JSON.stringify({ digest: 'SHA256', data: data.toString('base64') }),
    { 'content-type': 'application/json' },
  );
  if (reply.status !== 200) return false;
  const signature = Buffer.from(reply.json().signature as string, 'base64');
  return verify('sha256', data, { key: createPublicKey(leaf.certPem), dsaEncoding: 'der' }, signature);
}

function profile(name: string, label: string, leaf: TestLeaf): string {
  return [
    `  ${name}:`,
    `    pkcs11: "pkcs11:token=${label};id=%01?module-path=${token.module}&pin-source=${pinFile}"`,
    `    certificate: ${leaf.certPath}`,
    `    trustAnchorArn: ${TRUST_ANCHOR}`,
    `    profileArn: ${PROFILE_ARN}`,
    `    roleArn: ${ROLE_ARN}`,
    `    endpoint: ${endpoint.url}`,
    '    allow: { uids: [0] }',
    '    sign: { uids: [0] }',
  ].join('\n');
}

beforeAll(async () => {
  token = createSoftHsmToken(tmp.path, 'ra-early', '1234');
  const ca = createRootCa(tmp.path, 'Late Token CA');
  early = issueLeaf(tmp.path, ca, { name: 'early' });
  late = issueLeaf(tmp.path, ca, { name: 'late' });
  importKey(token, early.keyPath, '01', 'early');
  pinFile = join(tmp.path, 'pin');
  writeFileSync(pinFile, '1234', { mode: 0o600 });
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
});

afterAll(async () => {
  await endpoint?.close();
  tmp.remove();
});

describe('a token that is not there when the agent starts', () => {
  it('with other keys open on the same module: degraded with a clear reason, the other keys unharmed', async () => {
    const test = await startTestAgent(
      tmp.path,
      ['profiles:', profile('early', 'ra-early', early), profile('late', 'ra-late', late)].join('\n'),
    );
    try {
      await waitFor(
        async () => (await health(test)).profiles.early?.status === 'ok',
        15_000,
        'the early profile ready',
      );
      addSoftHsmToken(token, 'ra-late');
      importKey(token, late.keyPath, '01', 'late', 'ra-late');
      // Re-initializing the module would make the early key's session handles stale (and
      // reusable for the late token's sessions): the agent leaves the module alone and says so.
      await waitFor(
        async () =>
          (await health(test)).profiles.late?.reasons.some((reason) =>
            reason.includes('restart the agent'),
          ) === true,
        10_000,
        'the rescan refusal',
      );
      const late1 = (await health(test)).profiles.late;
      expect(late1?.reasons[0]).toMatch(
        /key unavailable \(PKCS11_TOKEN_NOT_FOUND\): no token matches pkcs11:token=ra-late/,
      );
      expect(late1?.reasons.join(' ')).not.toContain('1234');
      for (let i = 0; i < 20; i++) expect(await signs(test, 'early', early)).toBe(true);
    } finally {
      await test.close();
    }
  });

  it('alone on its module: the module looks for tokens again and the key is found without a restart', async () => {
    // A fresh token label, created only after the agent has started.
    const test = await startTestAgent(tmp.path, ['profiles:', profile('later', 'ra-later', late)].join('\n'));
    try {
      await waitFor(
        async () =>
          (await health(test)).profiles.later?.reasons.some((r) => r.includes('PKCS11_TOKEN_NOT_FOUND')) ===
          true,
        10_000,
        'degraded',
      );
      expect(await signs(test, 'later', late)).toBe(false);
      addSoftHsmToken(token, 'ra-later');
      importKey(token, late.keyPath, '01', 'later', 'ra-later');
      await waitFor(async () => (await health(test)).status === 'ok', 60_000, 'ok once the token is there');
      expect(await signs(test, 'later', late)).toBe(true);
      expect((await request(test.socket, 'GET', '/v1/profiles/later/credentials')).status).toBe(200);
    } finally {
      await test.close();
    }
  });
});
