import { createServer, request as httpRequest, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import {
  createCanonicalQuery,
  receivedRequestFrom,
  serialToDecimal,
  signX509Request,
  verifyErrorResponse,
  verifyX509Request,
  type X509SignableRequest,
} from '../../../src/sigv4-x509';
import { FIXED, type Issued, makeCa, makeCert, signerOf } from './test-pki';

// A real HTTP server on loopback verifies what a real client sent: Host as sent, repeated
// headers as separate lines, ARNs in the query or the body.

let root: Issued;
let intermediate: Issued;
let leaf: Issued;
const servers: Server[] = [];

beforeAll(async () => {
  root = await makeCa('CN=wire root');
  intermediate = await makeCa('CN=wire intermediate', root);
  leaf = await makeCert('CN=wire device', intermediate);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function startServer(host: string): Promise<number> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = receivedRequestFrom(req, Buffer.concat(chunks));
      verifyX509Request(received, { trustAnchors: [root.cert], now: FIXED.now, region: 'eu-west-1' }).then(
        (result) => {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ serial: result.serial, host: received.headers.host }));
        },
        (error: unknown) => {
          const code = isAgentError(error) ? error.code : 'INTERNAL';
          const answer = verifyErrorResponse(code);
          res.writeHead(answer.status, {
            'content-type': 'application/json',
            'x-amzn-ErrorType': answer.type,
          });
          res.end(JSON.stringify({ message: answer.awsMessage, code }));
        },
      );
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

function send(
  host: string,
  port: number,
  signed: {
    method: string;
    path: string;
    query: X509SignableRequest['query'];
    headers: Record<string, string>;
    body?: unknown;
  },
  override: OutgoingHttpHeaders = {},
): Promise<{ status: number; json: Record<string, unknown>; errorType: string | undefined }> {
  const query = createCanonicalQuery(signed.query);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host,
        port,
        method: signed.method,
        path: `${signed.path}${query ? `?${query}` : ''}`,
        headers: { ...signed.headers, ...override },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            errorType: res.headers['x-amzn-errortype'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(signed.body as string | undefined);
  });
}

const ARNS = {
  profileArn: 'arn:aws:rolesanywhere:eu-west-1:123456789012:profile/p',
  roleArn: 'arn:aws:iam::123456789012:role/wire role',
  trustAnchorArn: 'arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/t',
};

describe('receivedRequestFrom over real HTTP', () => {
  it('verifies ARNs in the query with a Host naming AWS while connecting to 127.0.0.1', async () => {
    const port = await startServer('127.0.0.1');
    const signed = await signX509Request(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: 'rolesanywhere.eu-west-1.amazonaws.com',
        path: '/sessions',
        query: ARNS,
        headers: { 'content-type': 'application/json' },
        body: '{"durationSeconds":3600}',
      },
      { signer: signerOf(leaf, [intermediate]), region: 'eu-west-1', signingDate: FIXED.now },
    );
    const response = await send('127.0.0.1', port, signed);
    expect(response).toEqual({
      status: 201,
      json: { serial: serialToDecimal(leaf.cert), host: ['rolesanywhere.eu-west-1.amazonaws.com'] },
      errorType: undefined,
    });
  });

  it('verifies ARNs in a JSON body over IPv6 with the Host the signer derived ([::1]:port)', async () => {
    const port = await startServer('::1');
    const signed = await signX509Request(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '::1',
        port,
        path: '/sessions',
        query: {},
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({ ...ARNS, durationSeconds: 900 }),
      },
      { signer: signerOf(leaf, [intermediate]), region: 'eu-west-1', signingDate: FIXED.now },
    );
    const response = await send('::1', port, signed);
    expect(response.status).toBe(201);
    expect(response.json.host).toEqual([`[::1]:${port}`]);
  });

  it.each(['authorization', 'x-amz-x509', 'x-amz-x509-chain', 'x-amz-date'])(
    'rejects %s sent on two header lines with 400 ValidationException',
    async (name) => {
      const port = await startServer('127.0.0.1');
      const signed = await signX509Request(
        {
          method: 'POST',
          protocol: 'https:',
          hostname: 'h.example',
          path: '/sessions',
          query: ARNS,
          headers: {},
          body: '{}',
        },
        { signer: signerOf(leaf, [intermediate]), region: 'eu-west-1', signingDate: FIXED.now },
      );
      const value = signed.headers[name] ?? '';
      const response = await send('127.0.0.1', port, signed, { [name]: [value, value] });
      expect(response.status).toBe(400);
      expect(response.errorType).toBe('ValidationException');
      expect(response.json.code).toBe('HEADER_DUPLICATE');
    },
  );

  it('answers a body changed on the way with 403 AccessDeniedException "Invalid signature"', async () => {
    const port = await startServer('127.0.0.1');
    const signed = await signX509Request(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: 'h.example',
        path: '/sessions',
        query: ARNS,
        headers: {},
        body: '{"durationSeconds":900}',
      },
      { signer: signerOf(leaf, [intermediate]), region: 'eu-west-1', signingDate: FIXED.now },
    );
    const response = await send('127.0.0.1', port, { ...signed, body: '{"durationSeconds":901}' });
    expect(response).toEqual({
      status: 403,
      json: { message: 'Invalid signature', code: 'SIGNATURE_INVALID' },
      errorType: 'AccessDeniedException',
    });
  });
});
