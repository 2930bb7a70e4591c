// Real loopback servers for the CreateSession client tests: an http(s) server that records each
// request and answers canned AWS responses, and a tiny CONNECT proxy. Nothing here is a mock:
// the client talks to them over real sockets.
import { createHash, X509Certificate as NodeX509, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A response, or 'hang' for a server that reads the request and never answers. */
export type Responder = (request: RecordedRequest) => CannedResponse | 'hang';

export interface CannedEndpoint {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Answers for the next requests, in order; the last one repeats. */
  respond: (...responders: Responder[]) => void;
  close: () => Promise<void>;
}

export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYzz';
export const SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLE-SESSION-TOKEN-never-print-me';

export function successBody(expiration = '2030-01-01T00:00:00Z'): string {
  return JSON.stringify({
    credentialSet: [
      {
        assumedRoleUser: {
          arn: 'arn:aws:sts::123456789012:assumed-role/edge-role/device-1',
          assumedRoleId: 'AROAEXAMPLE:device-1',
        },
        credentials: {
          accessKeyId: 'ASIAEXAMPLEACCESSKEY',
          secretAccessKey: SECRET_ACCESS_KEY,
          sessionToken: SESSION_TOKEN,
          expiration,
        },
        packedPolicySize: 7,
        roleArn: 'arn:aws:iam::123456789012:role/edge-role',
        sourceIdentity: 'CN=device-1',
      },
    ],
    subjectArn: 'arn:aws:rolesanywhere:us-east-1:123456789012:subject/0a1b2c3d-0000-4000-8000-000000000001',
  });
}

export const success: Responder = () => ({
  status: 201,
  headers: { 'content-type': 'application/json' },
  body: successBody(),
});

export function awsError(status: number, type: string, message: string): Responder {
  return () => ({
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-ErrorType': `${type}:http://internal.amazon.com/coral/com.amazonaws.rolesanywhere/`,
    },
    body: JSON.stringify({ message }),
  });
}

export const hang: Responder = () => 'hang';

/** Starts a canned endpoint on loopback (127.0.0.1 or ::1), plain http or https with the given key and certificate. */
export async function startCannedEndpoint(
  tls?: { keyPath: string; certPath: string },
  host: '127.0.0.1' | '::1' = '127.0.0.1',
): Promise<CannedEndpoint> {
  const requests: RecordedRequest[] = [];
  let responders: Responder[] = [success];
  const hanging = new Set<ServerResponse>();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://placeholder');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(recorded);
      const responder = (responders.length > 1 ? responders.shift() : responders[0]) ?? success;
      const answer = responder(recorded);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  };

  const server = tls
    ? https.createServer({ key: readFileSync(tls.keyPath), cert: readFileSync(tls.certPath) }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://${host === '::1' ? '[::1]' : host}:${port}`,
    port,
    requests,
    respond: (...next) => {
      responders = next;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ConnectProxy {
  url: string;
  port: number;
  /** The host:port of each CONNECT received. */
  connects: string[];
  /** Client connections still open. */
  openClients: () => number;
  close: () => Promise<void>;
}

/**
 * An HTTP CONNECT proxy on 127.0.0.1 that tunnels every target to 127.0.0.1 at the requested
 * port (so host names that do not resolve still reach the test server, which proves the
 * tunnel carried them), or refuses with `refuseStatus`, or never answers (`hang`).
 */
export async function startConnectProxy(
  mode: { refuseStatus?: number; hang?: boolean } = {},
): Promise<ConnectProxy> {
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end('this test proxy only tunnels');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    clients.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      clients.delete(socket);
    });
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    connects.push(req.url ?? '');
    if (mode.hang) {
      // Keep reading so the client's close is seen (unread data would hide the FIN), and
      // close our side then (http servers allow half-open sockets).
      client.resume();
      client.on('end', () => client.end());
      return;
    }
    if (mode.refuseStatus) {
      client.end(
        `HTTP/1.1 ${mode.refuseStatus} Refused\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    const port = Number((req.url ?? '').split(':').pop());
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    openClients: () => clients.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const rfc3986 = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Checks a received request's SigV4-X509 signature independently of the signer under test:
 * rebuilds the canonical request from what arrived on the socket and verifies the signature
 * with the public key of the certificate in X-Amz-X509. Returns the reason when it fails.
 */
export function verifyReceivedSignature(request: RecordedRequest, region: string): string | undefined {
  const auth = String(request.headers.authorization ?? '');
  const match =
    /^(AWS4-X509-(?:RSA|ECDSA)-SHA256) Credential=(\d+)\/(\d{8}\/[^/]+\/rolesanywhere\/aws4_request), SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]+)$/.exec(
      auth,
    );
  if (!match) return `authorization header has the wrong shape: ${auth}`;
  const [, algorithm, serial, scope, signedHeaders, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const cert = new NodeX509(Buffer.from(String(request.headers['x-amz-x509']), 'base64'));
  if (BigInt(`0x${cert.serialNumber}`).toString(10) !== serial)
    return 'credential serial is not the certificate serial';
  if (!scope.includes(`/${region}/`)) return `scope ${scope} is not for ${region}`;
  const names = signedHeaders.split(';');
  const query = Object.entries(request.query)
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = names
    .map(
      (name) =>
        `${name}:${String(request.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [
    request.method,
    request.path,
    query,
    headers,
    signedHeaders,
    createHash('sha256').update(request.body).digest('hex'),
  ].join('\n');
  const amzDate = String(request.headers['x-amz-date']);
  const stringToSign = `${algorithm}\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const ok = verify('sha256', Buffer.from(stringToSign), cert.publicKey, Buffer.from(signature, 'hex'));
  return ok ? undefined : 'signature does not verify against the request as received';
}
