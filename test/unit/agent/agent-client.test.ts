import { createPublicKey, verify } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCertificate, getCredentials, sign } from '../../../src/agent-client/client';
import { fromAgentCredentials } from '../../../src/agent-client/from-agent-credentials';
import { closeAgentConnections } from '../../../src/agent-client/request';
import { resolveAgentSocket } from '../../../src/agent-client/socket';
import { createSession } from '../../../src/rolesanywhere';
import { fromAgent } from '../../../src/signer/from-agent';
import { createIntermediateCa, createRootCa, issueLeaf, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { SECRET_ACCESS_KEY, SESSION_TOKEN, verifyReceivedSignature } from '../rolesanywhere/canned-endpoint';
import {
  type CannedEndpoint,
  freshCredentials,
  PROFILE_ARN,
  ROLE_ARN,
  startCannedEndpoint,
  startTestAgent,
  type TestAgent,
  TRUST_ANCHOR,
  waitFor,
} from './agent-fixture';

const tmp = makeTempDir('ra-agent-client-');
let endpoint: CannedEndpoint;
let test: TestAgent;
let ec: TestLeaf;
let rsa: TestLeaf;
let intermediatePem: string;

beforeAll(async () => {
  const root = createRootCa(tmp.path, 'Client Root');
  const intermediate = createIntermediateCa(tmp.path, root, 'Client Intermediate');
  intermediatePem = intermediate.certPem;
  ec = issueLeaf(tmp.path, intermediate, { name: 'client-ec', keyType: 'ec-p384' });
  rsa = issueLeaf(tmp.path, intermediate, { name: 'client-rsa', keyType: 'rsa-2048' });
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
  const profile = (name: string, leaf: TestLeaf, signUids: string) =>
    [
      `  ${name}:`,
      `    certificate: ${leaf.certPath}`,
      `    privateKey: ${leaf.keyPath}`,
      `    intermediates: ${intermediate.certPath}`,
      `    trustAnchorArn: ${TRUST_ANCHOR}`,
      `    profileArn: ${PROFILE_ARN}`,
      `    roleArn: ${ROLE_ARN}`,
      `    endpoint: ${endpoint.url}`,
      '    allow: { uids: [0] }',
      `    sign: { uids: ${signUids} }`,
    ].join('\n');
  test = await startTestAgent(
    tmp.path,
    ['profiles:', profile('ec', ec, '[0]'), profile('rsa', rsa, '[0]'), profile('nosign', ec, '[]')].join(
      '\n',
    ),
  );
  await waitFor(() => endpoint.requests.length === 3, 10_000, 'first CreateSessions');
});

afterAll(async () => {
  closeAgentConnections();
  await test?.close();
  await endpoint?.close();
  tmp.remove();
});

describe('agent client', () => {
  it('reads credentials, the certificate with its chain, and signatures', async () => {
    const credentials = await getCredentials(test.socket, 'ec');
    expect(credentials).toEqual({
      accessKeyId: 'ASIAEXAMPLEACCESSKEY',
      secretAccessKey: SECRET_ACCESS_KEY,
      sessionToken: SESSION_TOKEN,
      expiration: expect.any(Date),
    });
    const certificate = await getCertificate(test.socket, 'ec');
    expect(certificate.keyType).toBe('EC');
    expect(certificate.chain).toEqual([intermediatePem.replace(/-----[^-]+-----|\s/g, '')]);
    const data = new TextEncoder().encode('client data');
    const signature = await sign(test.socket, 'ec', data, 'SHA384');
    expect(verify('sha384', data, { key: createPublicKey(ec.certPem), dsaEncoding: 'der' }, signature)).toBe(
      true,
    );
  });

  it('gives the agent error code, message and hint', async () => {
    await expect(getCredentials(test.socket, 'missing')).rejects.toMatchObject({
      code: 'PROFILE_NOT_FOUND',
      message: `agent ${test.socket}: no profile named "missing"`,
    });
    await expect(sign(test.socket, 'nosign', new Uint8Array([1]))).rejects.toMatchObject({
      code: 'FORBIDDEN',
      hint: expect.stringContaining('sign list'),
    });
    const absent = join(tmp.path, 'absent.sock');
    await expect(getCredentials(absent, 'ec')).rejects.toMatchObject({
      code: 'AGENT_NOT_RUNNING',
      message: `no agent is listening on ${absent}`,
    });
  });

  it('fromAgent: a Signer whose key stays in the agent, good enough for a real CreateSession', async () => {
    for (const [profile, leaf, keyType] of [
      ['ec', ec, 'ec'],
      ['rsa', rsa, 'rsa'],
    ] as const) {
      const signer = await fromAgent({ socket: test.socket, profile });
      expect(signer.keyType).toBe(keyType);
      expect(signer.algorithm).toBe(keyType === 'rsa' ? 'AWS4-X509-RSA-SHA256' : 'AWS4-X509-ECDSA-SHA256');
      expect(keyType === 'rsa' ? signer.modulusBits : signer.curve).toBe(keyType === 'rsa' ? 2048 : 'P-384');
      expect(signer.certificate.serialNumber.toUpperCase().replace(/^0+/, '')).toBe(
        leaf.serialHex.replace(/^0+/, ''),
      );
      expect(signer.chain).toHaveLength(1);
      const before = endpoint.requests.length;
      const credentials = await createSession({
        signer,
        trustAnchorArn: TRUST_ANCHOR,
        profileArn: PROFILE_ARN,
        roleArn: ROLE_ARN,
        endpoint: endpoint.url,
      });
      expect(credentials.sessionToken).toBe(SESSION_TOKEN);
      const sent = endpoint.requests[before];
      expect(sent && verifyReceivedSignature(sent, 'us-east-1')).toBeUndefined();
      expect(sent?.headers['x-amz-x509-chain']).toBe(intermediatePem.replace(/-----[^-]+-----|\s/g, ''));
      await signer.close();
    }
  });

  it('fromAgentCredentials: an SDK-style provider, socket from ROLESANYWHERE_AGENT_SOCKET by default', async () => {
    const provider = fromAgentCredentials({ socket: test.socket, profile: 'rsa' });
    const first = await provider();
    expect(first.secretAccessKey).toBe(SECRET_ACCESS_KEY);
    expect(first.expiration.getTime()).toBeGreaterThan(Date.now());
    expect(resolveAgentSocket(undefined, { ROLESANYWHERE_AGENT_SOCKET: test.socket })).toBe(test.socket);
    expect(resolveAgentSocket('/explicit.sock', { ROLESANYWHERE_AGENT_SOCKET: test.socket })).toBe(
      '/explicit.sock',
    );
    process.env.ROLESANYWHERE_AGENT_SOCKET = test.socket;
    try {
      expect((await fromAgentCredentials({ profile: 'ec' })()).accessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    } finally {
      delete process.env.ROLESANYWHERE_AGENT_SOCKET;
    }
  });
});
