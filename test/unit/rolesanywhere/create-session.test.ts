import { createPrivateKey } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import { type CreateSessionOptions, createSession } from '../../../src/rolesanywhere/create-session';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import type { Signer } from '../../../src/signer/signer';
import { verifyX509Request } from '../../../src/sigv4-x509';
import { x509 } from '../../../src/x509/x509';
import { createIntermediateCa, createRootCa, issueLeaf, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import {
  awsError,
  type CannedEndpoint,
  closedPort,
  hang,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  startCannedEndpoint,
  startConnectProxy,
  success,
  successBody,
  verifyReceivedSignature,
} from './canned-endpoint';

const TRUST_ANCHOR =
  'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666';
const PROFILE = 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666';
const ROLE = 'arn:aws:iam::123456789012:role/edge/edge-role';
const SIGNING_DATE = new Date('2025-06-01T12:00:00Z');
const FAST_RETRIES = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

const tmp = makeTempDir('ra-createsession-');
let leaf: TestLeaf;
let rsaLeaf: TestLeaf;
let intermediatePem: string;
let rootPem: string;
let signer: Signer;
let rsaSigner: Signer;
let tlsCaPath: string;
let tlsServer: { keyPath: string; certPath: string };
let endpoint: CannedEndpoint;

function signerFor(testLeaf: TestLeaf, chainPem: string[]): Signer {
  return fromKeyObject(
    createPrivateKey(testLeaf.keyPem),
    new x509.X509Certificate(testLeaf.certPem),
    chainPem.map((pem) => new x509.X509Certificate(pem)),
  );
}

beforeAll(() => {
  const root = createRootCa(tmp.path, 'Device Root CA');
  const intermediate = createIntermediateCa(tmp.path, root, 'Device Issuing CA');
  intermediatePem = intermediate.certPem;
  rootPem = root.certPem;
  leaf = issueLeaf(tmp.path, intermediate, { name: 'device-1', keyType: 'ec-p256' });
  rsaLeaf = issueLeaf(tmp.path, intermediate, { name: 'device-rsa', keyType: 'rsa-2048' });
  signer = signerFor(leaf, [intermediatePem]);
  rsaSigner = signerFor(rsaLeaf, [intermediatePem]);
  // A separate CA for the endpoint's TLS certificate, trusted only through AWS_CA_BUNDLE.
  const tlsRoot = createRootCa(tmp.path, 'Endpoint TLS Root');
  tlsCaPath = tlsRoot.certPath;
  const server = issueLeaf(tmp.path, tlsRoot, {
    name: 'endpoint-tls',
    subject: '/CN=rolesanywhere.example.test',
    extensions: [
      'basicConstraints=critical,CA:false',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:rolesanywhere.example.test,DNS:localhost,IP:127.0.0.1',
    ],
  });
  tlsServer = { keyPath: server.keyPath, certPath: server.certPath };
});

afterAll(() => tmp.remove());

afterEach(async () => {
  await endpoint?.close();
});

function serialDecimal(testLeaf: TestLeaf): string {
  return BigInt(`0x${testLeaf.serialHex}`).toString(10);
}

function options(overrides: Partial<CreateSessionOptions> = {}): CreateSessionOptions {
  return {
    signer,
    trustAnchorArn: TRUST_ANCHOR,
    profileArn: PROFILE,
    roleArn: ROLE,
    endpoint: endpoint.url,
    signingDate: SIGNING_DATE,
    retries: FAST_RETRIES,
    env: {},
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error('expected createSession to fail');
}

function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(SECRET_ACCESS_KEY);
    expect(text).not.toContain(SESSION_TOKEN);
  }
}

describe('createSession over plain http', () => {
  it('sends a well-formed, verifiable CreateSession and returns the credentials', async () => {
    endpoint = await startCannedEndpoint();
    const lines: string[] = [];
    const credentials = await createSession(options({ debug: (line) => lines.push(line) }));

    expect(credentials.accessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    expect(credentials.secretAccessKey).toBe(SECRET_ACCESS_KEY);
    expect(credentials.sessionToken).toBe(SESSION_TOKEN);
    expect(credentials.expiration).toBeInstanceOf(Date);
    expect(credentials.expiration.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(credentials.raw?.sourceIdentity).toBe('CN=device-1');
    expect(credentials.raw?.roleArn).toBe('arn:aws:iam::123456789012:role/edge-role');
    expectNoSecrets(JSON.stringify(credentials.raw), ...lines);
    expect(lines.length).toBeGreaterThan(0);

    expect(endpoint.requests).toHaveLength(1);
    const [request] = endpoint.requests;
    if (!request) throw new Error('no request recorded');
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/sessions');
    expect(request.query).toEqual({ profileArn: PROFILE, roleArn: ROLE, trustAnchorArn: TRUST_ANCHOR });
    // On the wire the ARNs' colons and slashes are percent-encoded, as SigV4 canonicalizes them.
    expect(request.url).toContain('trustAnchorArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1');
    expect(JSON.parse(request.body)).toEqual({ durationSeconds: 3600 });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.host).toBe(`127.0.0.1:${endpoint.port}`);
    expect(request.headers['x-amz-date']).toBe('20250601T120000Z');
    expect(request.headers['x-amz-x509']).toBe(
      Buffer.from(new x509.X509Certificate(leaf.certPem).rawData).toString('base64'),
    );
    expect(request.headers['x-amz-x509-chain']).toBe(
      Buffer.from(new x509.X509Certificate(intermediatePem).rawData).toString('base64'),
    );
    expect(request.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-X509-ECDSA-SHA256 Credential=${serialDecimal(leaf)}/20250601/us-east-1/rolesanywhere/aws4_request, ` +
          'SignedHeaders=[a-z0-9;-]*x-amz-date;x-amz-x509;x-amz-x509-chain, Signature=[0-9a-f]+$',
      ),
    );
    expect(request.headers.authorization).not.toMatch(/SignedHeaders=[^,]*user-agent/);
    expect(verifyReceivedSignature(request, 'us-east-1')).toBeUndefined();
  });

  it("sends what the project's own verifier (the local endpoint's) accepts as received", async () => {
    endpoint = await startCannedEndpoint();
    // The certificates are minted now, so sign now: the verifier checks their validity too.
    await createSession(options({ signingDate: undefined }));
    const [request] = endpoint.requests;
    if (!request) throw new Error('no request recorded');
    const verified = await verifyX509Request(
      {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: request.headers,
        body: request.body,
      },
      { trustAnchors: [new x509.X509Certificate(rootPem)], region: 'us-east-1' },
    );
    expect(verified.serial).toBe(serialDecimal(leaf));
    expect(verified.chain).toHaveLength(1);
  });

  it('has a signature check that rejects a request changed after signing', async () => {
    endpoint = await startCannedEndpoint();
    await createSession(options());
    const [request] = endpoint.requests;
    if (!request) throw new Error('no request recorded');
    expect(verifyReceivedSignature(request, 'us-east-1')).toBeUndefined();
    expect(verifyReceivedSignature({ ...request, body: '{"durationSeconds":43200}' }, 'us-east-1')).toMatch(
      /does not verify/,
    );
    expect(
      verifyReceivedSignature({ ...request, query: { ...request.query, roleArn: `${ROLE}x` } }, 'us-east-1'),
    ).toMatch(/does not verify/);
    expect(verifyReceivedSignature(request, 'eu-west-1')).toMatch(/not for eu-west-1/);
  });

  it('reaches an IPv6 loopback endpoint with a bracketed Host header', async () => {
    endpoint = await startCannedEndpoint(undefined, '::1');
    await createSession(options());
    const [request] = endpoint.requests;
    if (!request) throw new Error('no request recorded');
    expect(request.headers.host).toBe(`[::1]:${endpoint.port}`);
    expect(verifyReceivedSignature(request, 'us-east-1')).toBeUndefined();
  });

  it('signs with an RSA key, sends roleSessionName and the duration, under an endpoint path prefix', async () => {
    endpoint = await startCannedEndpoint();
    await createSession(
      options({
        signer: rsaSigner,
        endpoint: `${endpoint.url}/gateway/ra/`,
        durationSeconds: 900,
        roleSessionName: 'device-1@site.example',
        region: 'us-east-1',
      }),
    );
    const [request] = endpoint.requests;
    if (!request) throw new Error('no request recorded');
    expect(request.path).toBe('/gateway/ra/sessions');
    expect(JSON.parse(request.body)).toEqual({
      durationSeconds: 900,
      roleSessionName: 'device-1@site.example',
    });
    expect(request.headers.authorization).toMatch(/^AWS4-X509-RSA-SHA256 Credential=\d+\//);
    expect(verifyReceivedSignature(request, 'us-east-1')).toBeUndefined();
  });

  it("signs for an explicit region instead of the trust anchor's", async () => {
    endpoint = await startCannedEndpoint();
    await createSession(options({ region: 'eu-west-1' }));
    const [request] = endpoint.requests;
    expect(request?.headers.authorization).toContain('/20250601/eu-west-1/rolesanywhere/aws4_request');
  });

  it('maps 403 AccessDeniedException to ACCESS_DENIED naming serial, ARNs and the service message, without retrying', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(awsError(403, 'AccessDeniedException', 'Untrusted signing certificate'));
    const error = await failure(createSession(options()));
    expect(error.code).toBe('ACCESS_DENIED');
    expect(endpoint.requests).toHaveLength(1);
    expect(error.message).toContain(serialDecimal(leaf));
    expect(error.message).toContain(`hex ${BigInt(`0x${leaf.serialHex}`).toString(16)}`);
    expect(error.message).toContain(TRUST_ANCHOR);
    expect(error.message).toContain(ROLE);
    expect(error.message).toContain('Untrusted signing certificate');
    expect(error.message).toContain('403 AccessDeniedException');
    expect(error.hint).toContain('aws:PrincipalTag/x509Subject/OU');
    expect(error.hint).toMatch(/revoked/);
    expect(error.hint).toMatch(/disabled/);
  });

  it('reads the error type from the body (__type) when the header is missing', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(() => ({
      status: 403,
      body: JSON.stringify({
        __type: 'com.amazonaws.rolesanywhere#AccessDeniedException',
        message: 'Signature expired',
      }),
    }));
    const error = await failure(createSession(options()));
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toContain('AccessDeniedException');
    expect(error.hint).toContain('clock');
  });

  it('maps 404 to RESOURCE_NOT_FOUND with a wrong-ARN-or-region hint', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(awsError(404, 'ResourceNotFoundException', 'Trust anchor not found'));
    const error = await failure(createSession(options()));
    expect(error.code).toBe('RESOURCE_NOT_FOUND');
    expect(error.message).toContain(PROFILE);
    expect(error.message).toContain('Trust anchor not found');
    expect(error.hint).toContain('us-east-1');
    expect(error.hint).toMatch(/ARN/);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('maps 400 ValidationException to VALIDATION without retrying', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(
      awsError(400, 'ValidationException', 'Requested DurationSeconds exceeds the profile maximum'),
    );
    const error = await failure(createSession(options()));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('exceeds the profile maximum');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('retries a 429 once and succeeds on the second attempt, re-signed with a fresh date', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(awsError(429, 'ThrottlingException', 'Rate exceeded'), success);
    let tick = 0;
    const credentials = await createSession(
      options({ signingDate: () => new Date(SIGNING_DATE.getTime() + 1000 * tick++) }),
    );
    expect(credentials.sessionToken).toBe(SESSION_TOKEN);
    expect(endpoint.requests).toHaveLength(2);
    const [first, second] = endpoint.requests;
    expect(first?.headers['x-amz-date']).toBe('20250601T120000Z');
    expect(second?.headers['x-amz-date']).toBe('20250601T120001Z');
    expect(first?.headers.authorization).not.toBe(second?.headers.authorization);
    for (const request of endpoint.requests)
      expect(verifyReceivedSignature(request, 'us-east-1')).toBeUndefined();
  });

  it('signs with the current time when no signing date is given', async () => {
    endpoint = await startCannedEndpoint();
    const before = Date.now();
    await createSession(options({ signingDate: undefined }));
    const amzDate = String(endpoint.requests[0]?.headers['x-amz-date']);
    const at = Date.parse(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    expect(Math.abs(at - before)).toBeLessThan(10_000);
  });

  it('gives up on 500 after maxAttempts with SERVICE_ERROR', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(awsError(500, 'InternalServerException', 'internal failure'));
    const error = await failure(createSession(options()));
    expect(error.code).toBe('SERVICE_ERROR');
    expect(endpoint.requests).toHaveLength(3);
    expect(error.message).toContain('after 3 attempts');
    expect(error.message).toContain('internal failure');
  });

  it('honours a smaller maxAttempts, and 1 means a single try', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(awsError(500, 'InternalServerException', 'internal failure'));
    await failure(createSession(options({ retries: { maxAttempts: 1 } })));
    expect(endpoint.requests).toHaveLength(1);
  });

  it('keeps to the backoff cap between attempts', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(awsError(429, 'ThrottlingException', 'Rate exceeded'));
    const error = await failure(
      createSession(options({ retries: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 60 } })),
    );
    expect(error.code).toBe('THROTTLED');
    expect(error.hint).toContain('10 requests per second');
    expect(endpoint.requests).toHaveLength(4);
    const gaps = endpoint.requests.slice(1).map((r, i) => r.at - (endpoint.requests[i]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeLessThan(60 + 1500);
  });

  it('rejects a 201 whose body is not JSON as BAD_RESPONSE without echoing it', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(() => ({ status: 201, body: `<html>${SECRET_ACCESS_KEY}` }));
    const error = await failure(createSession(options()));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('is not JSON');
    expectNoSecrets(error.message, error.hint ?? '');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('rejects a 201 without a session token, naming the field and not the secret', async () => {
    endpoint = await startCannedEndpoint();
    const body = JSON.parse(successBody());
    delete body.credentialSet[0].credentials.sessionToken;
    endpoint.respond(() => ({ status: 201, body: JSON.stringify(body) }));
    const error = await failure(createSession(options()));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('credentials.sessionToken');
    expectNoSecrets(error.message);
  });

  it('times out on a server that never answers, within bounded time', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(hang);
    const started = Date.now();
    const error = await failure(
      createSession(
        options({
          timeouts: { responseMs: 300 },
          retries: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 5 },
        }),
      ),
    );
    const elapsed = Date.now() - started;
    expect(error.code).toBe('ENDPOINT_TIMEOUT');
    expect(error.message).toContain('did not answer within 300 ms');
    expect(error.message).toContain('after 2 attempts');
    expect(endpoint.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(600);
    expect(elapsed).toBeLessThan(5000);
  });

  it('reports ENDPOINT_UNREACHABLE for a refused connection after bounded retries', async () => {
    endpoint = await startCannedEndpoint();
    const port = await closedPort();
    const lines: string[] = [];
    const error = await failure(
      createSession(options({ endpoint: `http://127.0.0.1:${port}`, debug: (l) => lines.push(l) })),
    );
    expect(error.code).toBe('ENDPOINT_UNREACHABLE');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('after 3 attempts');
    expect(lines.filter((l) => l.includes('attempt') && l.includes('POST'))).toHaveLength(3);
  });

  it('validates the inputs before sending anything', async () => {
    endpoint = await startCannedEndpoint();
    const cases: Array<[Partial<CreateSessionOptions>, string, string]> = [
      [{ trustAnchorArn: PROFILE }, 'INVALID_ARN', 'trust-anchor'],
      [{ profileArn: TRUST_ANCHOR }, 'INVALID_ARN', 'profile'],
      [{ roleArn: 'arn:aws:iam::123456789012:user/alice' }, 'INVALID_ARN', 'role'],
      [{ durationSeconds: 899 }, 'INVALID_DURATION', '899'],
      [{ durationSeconds: 43_201 }, 'INVALID_DURATION', '43201'],
      [{ roleSessionName: 'has space' }, 'INVALID_ROLE_SESSION_NAME', 'has space'],
      [{ endpoint: 'ftp://example.test' }, 'INVALID_ENDPOINT', 'ftp:'],
      [{ region: 'Mars' }, 'INVALID_REGION', 'Mars'],
    ];
    for (const [override, code, mention] of cases) {
      const error = await failure(createSession(options(override)));
      expect(error.code, JSON.stringify(override)).toBe(code);
      expect(error.message).toContain(mention);
      expect(error.hint).toBeTruthy();
    }
    expect(endpoint.requests).toHaveLength(0);
  });

  it('never puts the secret or token in debug lines of a retried success', async () => {
    endpoint = await startCannedEndpoint();
    endpoint.respond(awsError(500, 'InternalServerException', 'oops'), success);
    const lines: string[] = [];
    const credentials = await createSession(options({ debug: (line) => lines.push(line) }));
    expect(credentials.secretAccessKey).toBe(SECRET_ACCESS_KEY);
    expect(lines.join('\n')).toContain('retrying');
    expectNoSecrets(...lines);
  });
});

describe('createSession over https', () => {
  it('fails TLS verification against an untrusted CA with TLS_VERIFY_FAILED and no retry', async () => {
    endpoint = await startCannedEndpoint(tlsServer);
    const lines: string[] = [];
    const error = await failure(createSession(options({ debug: (l) => lines.push(l) })));
    expect(error.code).toBe('TLS_VERIFY_FAILED');
    expect(error.hint).toContain('AWS_CA_BUNDLE');
    expect(endpoint.requests).toHaveLength(0);
    expect(lines.filter((l) => l.startsWith('createsession attempt'))).toHaveLength(1);
  });

  it('trusts the extra CA in AWS_CA_BUNDLE', async () => {
    endpoint = await startCannedEndpoint(tlsServer);
    const credentials = await createSession(options({ env: { AWS_CA_BUNDLE: tlsCaPath } }));
    expect(credentials.accessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    expect(endpoint.requests).toHaveLength(1);
    expect(verifyReceivedSignature(endpoint.requests[0] as never, 'us-east-1')).toBeUndefined();
  });

  it('accepts any certificate with verifyTls=false (--no-verify-ssl)', async () => {
    endpoint = await startCannedEndpoint(tlsServer);
    const credentials = await createSession(options({ verifyTls: false }));
    expect(credentials.sessionToken).toBe(SESSION_TOKEN);
  });

  it('reports an unreadable AWS_CA_BUNDLE by name', async () => {
    endpoint = await startCannedEndpoint(tlsServer);
    const missing = `${tmp.path}/no-such-bundle.pem`;
    const error = await failure(createSession(options({ env: { AWS_CA_BUNDLE: missing } })));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain(missing);
    expect(endpoint.requests).toHaveLength(0);
  });

  it('does not read AWS_CA_BUNDLE for an http endpoint, which has no TLS handshake to use it in', async () => {
    endpoint = await startCannedEndpoint();
    const missing = `${tmp.path}/no-such-bundle.pem`;
    const credentials = await createSession(options({ env: { AWS_CA_BUNDLE: missing } }));
    expect(credentials.accessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('reports TLS_HANDSHAKE_FAILED when https is spoken to a plain http server', async () => {
    endpoint = await startCannedEndpoint();
    const error = await failure(
      createSession(options({ endpoint: endpoint.url.replace('http:', 'https:') })),
    );
    expect(error.code).toBe('TLS_HANDSHAKE_FAILED');
  });
});

describe('createSession through a proxy (--with-proxy)', () => {
  const proxies: Array<{ close: () => Promise<void> }> = [];
  afterEach(async () => {
    for (const proxy of proxies.splice(0)) await proxy.close();
  });

  it('tunnels https with CONNECT to a host name only the proxy resolves', async () => {
    endpoint = await startCannedEndpoint(tlsServer);
    const proxy = await startConnectProxy();
    proxies.push(proxy);
    const host = `rolesanywhere.example.test:${endpoint.port}`;
    const credentials = await createSession(
      options({
        endpoint: `https://${host}`,
        proxy: true,
        env: { HTTPS_PROXY: proxy.url, AWS_CA_BUNDLE: tlsCaPath },
      }),
    );
    expect(credentials.accessKeyId).toBe('ASIAEXAMPLEACCESSKEY');
    expect(proxy.connects).toEqual([host]);
    const [request] = endpoint.requests;
    if (!request) throw new Error('no request recorded');
    expect(request.headers.host).toBe(host);
    expect(verifyReceivedSignature(request, 'us-east-1')).toBeUndefined();
  });

  it('uses HTTP_PROXY for an http endpoint, and ignores the proxy without --with-proxy', async () => {
    endpoint = await startCannedEndpoint();
    const proxy = await startConnectProxy();
    proxies.push(proxy);
    await createSession(options({ proxy: true, env: { http_proxy: proxy.url } }));
    expect(proxy.connects).toEqual([`127.0.0.1:${endpoint.port}`]);
    await createSession(options({ proxy: false, env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url } }));
    expect(proxy.connects).toHaveLength(1);
    expect(endpoint.requests).toHaveLength(2);
  });

  it('goes direct when NO_PROXY names the endpoint host', async () => {
    endpoint = await startCannedEndpoint();
    const proxy = await startConnectProxy();
    proxies.push(proxy);
    await createSession(
      options({ proxy: true, env: { HTTP_PROXY: proxy.url, NO_PROXY: 'internal.example,127.0.0.1' } }),
    );
    expect(proxy.connects).toHaveLength(0);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('reports PROXY_FAILED when the proxy refuses the tunnel, without the proxy password', async () => {
    endpoint = await startCannedEndpoint();
    const proxy = await startConnectProxy({ refuseStatus: 407 });
    proxies.push(proxy);
    const withPassword = proxy.url.replace('http://', 'http://user:s3cr3t-proxy-pw@');
    const error = await failure(createSession(options({ proxy: true, env: { HTTP_PROXY: withPassword } })));
    expect(error.code).toBe('PROXY_FAILED');
    expect(error.message).toContain('407');
    expect(error.message).not.toContain('s3cr3t-proxy-pw');
    expect(error.hint).toContain('authentication');
    expect(endpoint.requests).toHaveLength(0);
    expect(proxy.connects).toHaveLength(1);
  });

  it('times out in the connect phase when the proxy never answers CONNECT', async () => {
    endpoint = await startCannedEndpoint();
    const proxy = await startConnectProxy({ hang: true });
    proxies.push(proxy);
    const started = Date.now();
    const error = await failure(
      createSession(
        options({
          proxy: true,
          env: { HTTP_PROXY: proxy.url },
          timeouts: { connectMs: 300 },
          retries: { maxAttempts: 1 },
        }),
      ),
    );
    expect(error.code).toBe('ENDPOINT_TIMEOUT');
    expect(error.message).toContain('did not connect within 300 ms');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(endpoint.requests).toHaveLength(0);
    // The half-open tunnel is closed, not left to keep the process alive.
    await expect.poll(() => proxy.openClients(), { timeout: 1000 }).toBe(0);
  });
});
