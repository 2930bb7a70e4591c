import { createPrivateKey } from 'node:crypto';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromRolesAnywhere } from '../../../src/sdk/from-roles-anywhere';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import type { Signer } from '../../../src/signer/signer';
import { x509 } from '../../../src/x509/x509';
import { createIntermediateCa, createRootCa, issueLeaf, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import {
  awsError,
  type CannedEndpoint,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  startCannedEndpoint,
  success,
  verifyReceivedSignature,
} from '../rolesanywhere/canned-endpoint';

const TRUST_ANCHOR =
  'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666';
const PROFILE = 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666';
const ROLE = 'arn:aws:iam::123456789012:role/edge-role';

const CALLER_IDENTITY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::123456789012:assumed-role/edge-role/device-1</Arn>
    <UserId>AROAEXAMPLE:device-1</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`;

const tmp = makeTempDir('ra-sdk-');
let leaf: TestLeaf;
let intermediatePath: string;
let endpoint: CannedEndpoint;
let sts: CannedEndpoint;

beforeAll(async () => {
  const root = createRootCa(tmp.path, 'SDK Root CA');
  const intermediate = createIntermediateCa(tmp.path, root, 'SDK Issuing CA');
  intermediatePath = intermediate.certPath;
  leaf = issueLeaf(tmp.path, intermediate, { name: 'sdk-device', keyType: 'ec-p256' });
  endpoint = await startCannedEndpoint();
  sts = await startCannedEndpoint();
  sts.respond(() => ({ status: 200, headers: { 'content-type': 'text/xml' }, body: CALLER_IDENTITY }));
});

afterEach(() => {
  endpoint.respond(success);
  endpoint.requests.length = 0;
  sts.requests.length = 0;
});

afterAll(async () => {
  await endpoint.close();
  await sts.close();
  tmp.remove();
});

const sessionOptions = () => ({
  trustAnchorArn: TRUST_ANCHOR,
  profileArn: PROFILE,
  roleArn: ROLE,
  endpoint: endpoint.url,
  retries: { maxAttempts: 1 },
});

describe('fromRolesAnywhere', () => {
  it('gives an SDK client credentials from key files, with an expiration', async () => {
    const credentials = fromRolesAnywhere({
      ...sessionOptions(),
      certificate: leaf.certPath,
      privateKey: leaf.keyPath,
      intermediates: intermediatePath,
    });
    try {
      const client = new STSClient({ region: 'us-east-1', endpoint: sts.url, credentials, maxAttempts: 1 });
      const identity = await client.send(new GetCallerIdentityCommand({}));
      expect(identity.Account).toBe('123456789012');
      client.destroy();

      // The STS request was signed with what CreateSession returned.
      expect(sts.requests).toHaveLength(1);
      const authorization = String(sts.requests[0]?.headers.authorization);
      expect(authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEACCESSKEY\/\d{8}\/us-east-1\/sts\//,
      );
      expect(sts.requests[0]?.headers['x-amz-security-token']).toBe(SESSION_TOKEN);

      // CreateSession carried the key file's certificate and chain, correctly signed.
      expect(endpoint.requests).toHaveLength(1);
      const createSession = endpoint.requests[0];
      if (!createSession) throw new Error('no CreateSession');
      expect(verifyReceivedSignature(createSession, 'us-east-1')).toBeUndefined();
      expect(createSession.headers['x-amz-x509-chain']).toBeTruthy();

      const identityValue = await credentials();
      expect(identityValue).toEqual({
        accessKeyId: 'ASIAEXAMPLEACCESSKEY',
        secretAccessKey: SECRET_ACCESS_KEY,
        sessionToken: SESSION_TOKEN,
        expiration: new Date('2030-01-01T00:00:00Z'),
        accountId: '123456789012',
      });
      expect(endpoint.requests).toHaveLength(1);
    } finally {
      await credentials.close();
    }
  });

  it('makes one CreateSession for many concurrent calls', async () => {
    const credentials = fromRolesAnywhere({
      ...sessionOptions(),
      certificate: leaf.certPath,
      privateKey: leaf.keyPath,
    });
    try {
      const results = await Promise.all(Array.from({ length: 50 }, () => credentials()));
      expect(new Set(results.map((r) => r.accessKeyId))).toEqual(new Set(['ASIAEXAMPLEACCESSKEY']));
      expect(results.every((r) => r.expiration instanceof Date)).toBe(true);
      expect(endpoint.requests).toHaveLength(1);
    } finally {
      await credentials.close();
    }
  });

  it('uses a given signer and leaves it open', async () => {
    let closed = 0;
    const base = fromKeyObject(createPrivateKey(leaf.keyPem), new x509.X509Certificate(leaf.certPem), []);
    const signer: Signer = {
      ...base,
      sign: (data, digest) => base.sign(data, digest),
      close: async () => {
        closed += 1;
      },
    };
    const credentials = fromRolesAnywhere({ ...sessionOptions(), signer });
    expect((await credentials()).accessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    await credentials.close();
    expect(closed).toBe(0);
    await expect(credentials()).rejects.toMatchObject({ code: 'PROVIDER_CLOSED' });
  });

  it('rejects with the CreateSession error, and gets credentials once it succeeds', async () => {
    endpoint.respond(awsError(403, 'AccessDeniedException', 'Untrusted certificate'));
    const credentials = fromRolesAnywhere({
      ...sessionOptions(),
      certificate: leaf.certPath,
      privateKey: leaf.keyPath,
      cache: { permanentBackoff: { baseMs: 0, capMs: 0, floorMs: 0 } },
    });
    try {
      await expect(credentials()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
      endpoint.respond(success);
      await expect(credentials()).resolves.toMatchObject({ accessKeyId: 'ASIAEXAMPLEACCESSKEY' });
      expect(endpoint.requests).toHaveLength(2);
    } finally {
      await credentials.close();
    }
  });

  it('reports a key that cannot be opened, and tries to open it again on the next call', async () => {
    const credentials = fromRolesAnywhere({
      ...sessionOptions(),
      certificate: `${tmp.path}/missing.crt`,
      privateKey: leaf.keyPath,
      cache: { backoff: { baseMs: 0, capMs: 0, floorMs: 0 } },
    });
    await expect(credentials()).rejects.toMatchObject({ message: expect.stringContaining('missing.crt') });
    await expect(credentials()).rejects.toMatchObject({ message: expect.stringContaining('missing.crt') });
    expect(endpoint.requests).toHaveLength(0);
    await credentials.close();
  });

  it('opens a PKCS#11 key lazily through fromPkcs11', async () => {
    const credentials = fromRolesAnywhere({
      ...sessionOptions(),
      pkcs11: {
        uri: 'pkcs11:token=absent;object=device',
        module: `${tmp.path}/no-such-module.so`,
        pin: '1234',
      },
    });
    const error = await credentials().then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error?.code).toMatch(/^PKCS11_/);
    expect(error?.message).not.toContain('1234');
    expect(endpoint.requests).toHaveLength(0);
    await credentials.close();
  });

  it('checks its options up front', () => {
    expect(() => fromRolesAnywhere({ ...sessionOptions() } as never)).toThrow(
      expect.objectContaining({ code: 'KEY_SOURCE_REQUIRED' }),
    );
    expect(() =>
      fromRolesAnywhere({
        ...sessionOptions(),
        roleArn: 'arn:aws:iam::123:role/x',
        certificate: leaf.certPath,
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARN' }));
  });
});
