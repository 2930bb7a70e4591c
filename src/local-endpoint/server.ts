import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createAuditLog } from './audit-log';
import { type AwsError, awsError, isAwsError } from './aws-error';
import { type CredentialStore, createCredentialStore } from './credential-store';
import { parseQuery } from './request-parts';
import { describeResources } from './resources-view';
import { routeOf } from './router';
import { handleS3, type S3Response } from './s3';
import { createS3Store } from './s3-store';
import { handleSts, stsErrorResponse } from './sts';
import { createTokenBucket } from './throttle';
import { createLocalTls } from './tls';
import type { EndpointRequest, EndpointResponse, LocalResources } from './types';

export interface LocalEndpointOptions {
  resources: LocalResources;
  /** Listen address; loopback unless the caller deliberately names another. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** HTTPS with a certificate made at start (its CA is written to <stateDir>/tls/ca.pem). */
  tls?: boolean;
  /** S3 objects, TLS files. Created if missing. */
  stateDir: string;
  /** CreateSession calls a second before 429 ThrottlingException (the Roles Anywhere quota is 10); 0 = off. */
  throttleTps?: number;
  auditLogPath?: string;
  region: string;
  /** The endpoint's clock; tests pass a fixed one. */
  now?: () => Date;
  /** Issued credentials; a new store unless one is shared (tests issue credentials directly). */
  store?: CredentialStore;
}

export interface LocalEndpoint {
  /** `http(s)://<host>:<port>` */
  url: string;
  port: number;
  store: CredentialStore;
  /** With tls: the CA file clients must trust. */
  caBundlePath: string | undefined;
  close(): Promise<void>;
}

/** Bodies of CreateSession and STS calls are small; anything larger is refused before it is read. */
export const MAX_API_BODY_BYTES = 64 * 1024;
const PRUNE_INTERVAL_MS = 60_000;
/** Expired sessions stay known for an hour, so their use is answered ExpiredToken, not "unknown key". */
const EXPIRED_RETENTION_MS = 3600_000;

type RouteResponse = EndpointResponse | S3Response;

function requestHeaders(req: IncomingMessage): EndpointRequest['headers'] {
  const headers: EndpointRequest['headers'] = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values === undefined) continue;
    headers[name] = values.length === 1 ? values[0] : values;
  }
  return headers;
}

/** Path (still encoded) and raw query of the request target, also for the absolute form proxies use. */
function splitTarget(target: string): { path: string; rawQuery: string } {
  let rest = target;
  if (/^https?:\/\//i.test(rest)) {
    const url = new URL(rest);
    rest = `${url.pathname}${url.search}`;
  }
  const at = rest.indexOf('?');
  return at === -1 ? { path: rest, rawQuery: '' } : { path: rest.slice(0, at), rawQuery: rest.slice(at + 1) };
}

async function readBody(req: IncomingMessage, limit: number, onRead: () => void): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooLarge = () =>
    awsError(413, 'RequestEntityTooLarge', `the request body is larger than ${limit} bytes`);
  if (declared > limit) throw tooLarge();
  onRead();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Roles Anywhere's (REST-JSON) error shape: the type in x-amzn-ErrorType, `{"message": ...}` in the body. */
function jsonError(status: number, type: string, message: string): EndpointResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': type,
      'x-amzn-requestid': randomUUID(),
    },
    body: JSON.stringify({ message }),
  };
}

/** The body as S3 reads it: only once a route starts reading is the client told to send it. */
async function* lazyBody(req: IncomingMessage, onRead: () => void): AsyncGenerator<Buffer> {
  onRead();
  for await (const chunk of req) yield chunk as Buffer;
}

async function send(
  res: ServerResponse,
  response: RouteResponse,
  method: string,
  close: boolean,
): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  if (close) res.setHeader('connection', 'close');
  const file = 'file' in response ? response.file : undefined;
  if (file) {
    if (method === 'HEAD' || file.end < file.start) {
      await file.handle.close();
      res.end();
      return;
    }
    // A client that hangs up mid-download is not an endpoint error; the stream closes the file.
    await pipeline(file.handle.createReadStream({ start: file.start, end: file.end }), res).catch(() =>
      res.destroy(),
    );
    return;
  }
  const body = response.body ?? '';
  if (!res.hasHeader('content-length')) res.setHeader('content-length', Buffer.byteLength(body));
  res.end(method === 'HEAD' ? undefined : body);
}

/**
 * Starts the offline IAM Roles Anywhere endpoint (a development and test tool): CreateSession
 * for the given resources, STS GetCallerIdentity and a minimal S3 for the credentials it issues.
 */
export async function startLocalEndpoint(options: LocalEndpointOptions): Promise<LocalEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const store = options.store ?? createCredentialStore();
  const audit = createAuditLog(options.auditLogPath);
  const throttle = createTokenBucket(options.throttleTps ?? 10, () => now().getTime());
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const objects = createS3Store(join(options.stateDir, 's3'));
  const bareHost = host.replace(/^\[|\]$/g, '');
  const virtualHostSuffixes = [
    'localhost',
    ...(/^[a-z0-9.-]+$/i.test(bareHost) && !/^[\d.]+$/.test(bareHost) ? [bareHost] : []),
  ];
  const { resources, region } = options;
  let lastPrune = 0;

  /**
   * `expectContinue`: the client sent Expect: 100-continue (botocore does for uploads) and waits;
   * 100 Continue goes out only when a route reads the body, so a refused upload is never sent.
   */
  async function route(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let continued = !expectContinue;
    const onRead = () => {
      if (continued) return;
      continued = true;
      res.writeContinue();
    };
    const { path, rawQuery } = splitTarget(req.url ?? '/');
    const head = { method, path, query: parseQuery(rawQuery), headers: requestHeaders(req) };
    const sourceAddress = req.socket.remoteAddress ?? '';
    const current = now().getTime();
    if (current - lastPrune > PRUNE_INTERVAL_MS) {
      store.prune(new Date(current - EXPIRED_RETENTION_MS));
      lastPrune = current;
    }
    const target = routeOf(head);
    switch (target.kind) {
      case 'create-session': {
        if (!throttle.take())
          return send(res, jsonError(429, 'ThrottlingException', 'Rate exceeded'), method, false);
        let body: Buffer;
        try {
          body = await readBody(req, MAX_API_BODY_BYTES, onRead);
        } catch (error) {
          if (!isAwsError(error)) throw error;
          return send(res, jsonError(413, 'ValidationException', error.message), method, true);
        }
        // Loaded on first use: its certificate machinery is only needed by CreateSession.
        const { handleCreateSession } = await import('./create-session');
        const response = await handleCreateSession(
          { ...head, body, sourceAddress },
          { resources, store, audit, now, region },
        );
        return send(res, response, method, false);
      }
      case 'resources':
        return send(
          res,
          {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: `${JSON.stringify(describeResources(resources), null, 2)}\n`,
          },
          method,
          false,
        );
      case 'sts': {
        let body: Buffer;
        try {
          body = await readBody(req, MAX_API_BODY_BYTES, onRead);
        } catch (error) {
          if (!isAwsError(error)) throw error;
          return send(res, stsErrorResponse(error, head), method, true);
        }
        return send(res, await handleSts({ ...head, body, sourceAddress }, { store, now }), method, false);
      }
      case 's3': {
        const response = await handleS3(
          { ...head, body: lazyBody(req, onRead), sourceAddress },
          { store, objects, now, region, virtualHostSuffixes },
        );
        // A refused upload is not read to the end: close rather than drain gigabytes.
        return send(res, response, method, response.status >= 400 && !req.readableEnded && !req.complete);
      }
      case 'unsupported':
        return send(res, stsErrorResponse(notServed(target.service), head), method, false);
    }
  }

  function fail(res: ServerResponse, error: unknown, req: IncomingMessage): void {
    // Never the request or credentials: only what went wrong.
    process.stderr.write(
      `local endpoint: internal error on ${req.method} ${splitTarget(req.url ?? '/').path}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const response = jsonError(500, 'InternalServerException', 'internal error in the local endpoint');
    void send(res, response, req.method ?? 'GET', true).catch(() => res.destroy());
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res, false).catch((error) => fail(res, error, req));
  };
  const continueListener = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res, true).catch((error) => fail(res, error, req));
  };
  let server: Server;
  let caBundlePath: string | undefined;
  if (options.tls) {
    const tls = await createLocalTls(join(options.stateDir, 'tls'), bareHost);
    caBundlePath = tls.caBundlePath;
    server = createHttpsServer({ key: tls.key, cert: tls.cert }, listener);
  } else {
    server = createHttpServer(listener);
  }
  server.on('checkContinue', continueListener);
  // Large uploads take time; idle keep-alive connections outlive the SDKs' own pool timeouts.
  server.requestTimeout = 30 * 60_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bareHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = bareHost.includes(':') ? `[${bareHost}]` : bareHost;
  return {
    url: `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    store,
    caBundlePath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function notServed(service: string): AwsError {
  return awsError(
    501,
    'NotImplemented',
    `the local endpoint serves Roles Anywhere CreateSession (POST /sessions), STS GetCallerIdentity and a minimal S3, not the ${service} service`,
  );
}
