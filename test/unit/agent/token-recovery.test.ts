import { createPublicKey, verify } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootCa, issueLeaf, type TestCa, type TestLeaf } from '../../helpers/pki';
import {
  createSoftHsmToken,
  importCertificate,
  importKey,
  removeSoftHsmTokens,
  type SoftHsmToken,
} from '../../helpers/softhsm';
import { makeTempDir } from '../../helpers/tmp';
import { SECRET_ACCESS_KEY, SESSION_TOKEN } from '../rolesanywhere/canned-endpoint';
import {
  type CannedEndpoint,
  freshCredentials,
  PROFILE_ARN,
  ROLE_ARN,
  readLines,
  request,
  startCannedEndpoint,
  startTestAgent,
  type TestAgent,
  TRUST_ANCHOR,
  waitFor,
} from './agent-fixture';

const PIN = '4711';
const tmp = makeTempDir('ra-agent-token-');
let token: SoftHsmToken;
let leaf: TestLeaf;
let ca: TestCa;
let endpoint: CannedEndpoint;
let test: TestAgent;

function restoreToken(): void {
  // As an admin restores a token from backup: same label, key and certificate, new serial.
  createSoftHsmToken(tmp.path, 'ra-agent', PIN);
  importKey(token, leaf.keyPath, '01', 'device');
  importCertificate(token, leaf.certPath, '01', 'device');
}

type Health = {
  status: string;
  profiles: Record<string, { status: string; reasons: string[]; key: { state: string; kind: string } }>;
};

async function health(): Promise<Health> {
  return (await request(test.socket, 'GET', '/v1/health')).json() as unknown as Health;
}

async function signWith(profile: string, text: string) {
  return request(
    test.socket,
    'POST',
    `/v1/profiles/${profile}/sign`,
    JSON.stringify({ digest: 'SHA256', data: Buffer.from(text).toString('base64') }),
    { 'content-type': 'application/json' },
  );
}

function verifies(text: string, signature: string): boolean {
  return verify(
    'sha256',
    Buffer.from(text),
    { key: createPublicKey(leaf.certPem), dsaEncoding: 'der' },
    Buffer.from(signature, 'base64'),
  );
}

beforeAll(async () => {
  token = createSoftHsmToken(tmp.path, 'ra-agent', PIN);
  ca = createRootCa(tmp.path, 'Token Test CA');
  leaf = issueLeaf(tmp.path, ca, { name: 'token-device' });
  importKey(token, leaf.keyPath, '01', 'device');
  importCertificate(token, leaf.certPath, '01', 'device');
  const pinFile = join(tmp.path, 'pin');
  writeFileSync(pinFile, `${PIN}\n`, { mode: 0o600 });
  const credentials = join(tmp.path, 'credentials');
  mkdirSync(credentials, { mode: 0o700 });
  writeFileSync(join(credentials, 'pin'), PIN, { mode: 0o400 });

  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
  const common = [
    `    trustAnchorArn: ${TRUST_ANCHOR}`,
    `    profileArn: ${PROFILE_ARN}`,
    `    roleArn: ${ROLE_ARN}`,
    `    endpoint: ${endpoint.url}`,
    '    allow: { uids: [0] }',
    '    sign: { uids: [0] }',
  ];
  const config = [
    'tokenCheckSeconds: 1',
    'profiles:',
    // Certificate read from the token; PIN from a pin-source file.
    '  hsm:',
    `    pkcs11: "pkcs11:token=ra-agent;id=%01;type=private?module-path=${token.module}&pin-source=${pinFile}"`,
    ...common,
    // The same token and key; PIN from systemd credentials ($CREDENTIALS_DIRECTORY/pin).
    '  hsm-two:',
    `    pkcs11: "pkcs11:token=ra-agent;object=device"`,
    `    pkcs11Lib: ${token.module}`,
    `    certificate: ${leaf.certPath}`,
    ...common,
  ].join('\n');
  test = await startTestAgent(tmp.path, config, {
    env: { ...process.env, CREDENTIALS_DIRECTORY: credentials },
    logLevel: 'debug',
  });
  await waitFor(async () => (await health()).status === 'ok', 20_000, 'both profiles ready');
});

afterAll(async () => {
  await test?.close();
  await endpoint?.close();
  tmp.remove();
});

describe('an agent whose keys are on a PKCS#11 token (SoftHSM)', () => {
  it('signs with the token key and serves credentials from CreateSession signed on the token', async () => {
    const reply = await signWith('hsm', 'signed on the token');
    expect(reply.status).toBe(200);
    expect(verifies('signed on the token', reply.json().signature as string)).toBe(true);
    const two = await signWith('hsm-two', 'second profile');
    expect(verifies('second profile', two.json().signature as string)).toBe(true);
    expect((await request(test.socket, 'GET', '/v1/profiles/hsm/credentials')).status).toBe(200);
    expect(endpoint.requests).toHaveLength(2);
    const certificate = (await request(test.socket, 'GET', '/v1/profiles/hsm/certificate')).json();
    expect(certificate.serialNumber).toBe(BigInt(`0x${leaf.serialHex}`).toString(10));
  });

  it('goes degraded when the token disappears, fails fast meanwhile, and recovers on its own when it is back', async () => {
    removeSoftHsmTokens(token);
    // Nobody signs: the idle token check (tokenCheckSeconds: 1) notices.
    await waitFor(async () => (await health()).status === 'degraded', 15_000, 'health degraded');
    const degraded = await health();
    for (const name of ['hsm', 'hsm-two']) {
      expect(degraded.profiles[name]?.key.state).toBe('unavailable');
      expect(degraded.profiles[name]?.reasons.join(' ')).toMatch(
        /key unavailable \(TOKEN_UNAVAILABLE\): token "ra-agent" .* is unavailable/,
      );
    }
    // Requests fail at once with a clear error; credentials in memory are still served.
    const started = Date.now();
    const failures = await Promise.all(Array.from({ length: 50 }, (_, i) => signWith('hsm', `gone ${i}`)));
    expect(Date.now() - started).toBeLessThan(2000);
    for (const failure of failures) {
      expect(failure.status).toBe(503);
      expect(failure.json().code).toBe('TOKEN_UNAVAILABLE');
      expect(failure.json().hint).toMatch(/plugged in/);
    }
    expect((await request(test.socket, 'GET', '/v1/profiles/hsm/credentials')).status).toBe(200);
    const metrics = (await request(test.socket, 'GET', '/v1/metrics')).body;
    expect(metrics).toMatch(/^rolesanywhere_agent_key_up\{profile="hsm"\} 0$/m);

    restoreToken();
    // No restart, no request needed: the background probe finds the token again.
    await waitFor(async () => (await health()).status === 'ok', 60_000, 'health ok again');
    const reply = await signWith('hsm', 'after the token came back');
    expect(reply.status).toBe(200);
    expect(verifies('after the token came back', reply.json().signature as string)).toBe(true);
    const two = await signWith('hsm-two', 'second profile after');
    expect(two.status).toBe(200);
  });

  it('uses a certificate renewed on the token beside the key after SIGHUP, without a restart', async () => {
    const before = (await request(test.socket, 'GET', '/v1/profiles/hsm/certificate')).json();
    expect(before.serialNumber).toBe(BigInt(`0x${leaf.serialHex}`).toString(10));
    // The CA renews the device certificate for the same key; it is imported beside the old one.
    const renewed = issueLeaf(tmp.path, ca, {
      name: 'token-device-renewed',
      keyPath: leaf.keyPath,
      days: 730,
    });
    importCertificate(token, renewed.certPath, '01', 'device');
    const result = await test.agent.reload();
    expect(result.kept).toEqual(expect.arrayContaining(['hsm', 'hsm-two']));
    const after = (await request(test.socket, 'GET', '/v1/profiles/hsm/certificate')).json();
    expect(after.serialNumber).toBe(BigInt(`0x${renewed.serialHex}`).toString(10));
    // The profile with a certificate file keeps it; signing goes on with the same key.
    const two = (await request(test.socket, 'GET', '/v1/profiles/hsm-two/certificate')).json();
    expect(two.serialNumber).toBe(before.serialNumber);
    const reply = await signWith('hsm', 'after the renewal');
    expect(verifies('after the renewal', reply.json().signature as string)).toBe(true);
    expect(readFileSync(test.logPath, 'utf8')).toContain('certificate renewed on the token');
  });

  it('never writes the PIN, a secret key or a session token to the debug log or the audit log', async () => {
    await request(test.socket, 'GET', '/v1/profiles/hsm/credentials');
    await waitFor(() => readLines(test.auditPath).length > 0, 5000, 'audit lines');
    const log = readFileSync(test.logPath, 'utf8');
    const audit = readFileSync(test.auditPath, 'utf8');
    expect(log).toContain('"level":20'); // debug lines were written
    for (const text of [log, audit]) {
      expect(text).not.toContain(SECRET_ACCESS_KEY);
      expect(text).not.toContain(SESSION_TOKEN);
      expect(text).not.toMatch(new RegExp(`[^0-9]${PIN}[^0-9]`));
    }
  });
});
