import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { AgentMetrics } from './agent-metrics';
import { outcomeOf } from './agent-metrics';
import type { AuditLog, AuditOperation } from './audit-log';
import { type AgentLimits, MAX_BODY_BYTES, type Principals } from './config-types';
import { healthReport } from './health';
import { type HttpError, httpError, httpErrorFor, isHttpError } from './http-error';
import { createPeerRegistry, isAuthorized, type Peer, type PeerReader } from './peer';
import { certificateRoute, credentialsRoute, type RouteResult, signRoute } from './profile-routes';
import type { ProfileRuntime } from './profile-runtime';
import { readBody } from './read-body';
import { matchRoute } from './routes';

export interface AgentServerContext {
  profile(name: string): ProfileRuntime | undefined;
  profiles(): Iterable<ProfileRuntime>;
  readPeer: PeerReader;
  audit: AuditLog;
  metrics: AgentMetrics;
  logger: Logger;
  limits: AgentLimits;
  startedAt: number;
  now: () => number;
}

export interface AgentServer {
  server: http.Server;
  /** Requests being answered now. */
  inFlight(): number;
  /** Requests answered or being answered since the start. */
  handled(): number;
  connections(): number;
  /** Stops accepting, lets running requests finish (closing their connections), then closes the rest. */
  drain(timeoutMs: number): Promise<void>;
}

const JSON_TYPE = 'application/json';

function errorBody(error: HttpError): string {
  return `${JSON.stringify({ message: error.message, code: error.code, ...(error.hint ? { hint: error.hint } : {}) })}\n`;
}

/** Who may use which route of a profile: credentials need `allow`, signing `sign`, the certificate either. */
function principalsFor(kind: 'credentials' | 'certificate' | 'sign', runtime: ProfileRuntime): Principals[] {
  const { allow, sign } = runtime.config;
  if (kind === 'credentials') return [allow];
  if (kind === 'sign') return [sign];
  return [allow, sign];
}

const CLIENT_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

/**
 * The agent's HTTP/1.1 server for its Unix socket: each connection is identified once by its
 * kernel peer credentials (refused when that fails), each profile route checks them against
 * the profile's lists, and every limit is set (header size and time, request time, idle time,
 * body size, connections) so that malformed, huge or slow clients cost nothing lasting.
 */
export function createAgentServer(context: AgentServerContext): AgentServer {
  const { limits, metrics, audit, logger } = context;
  const peers = createPeerRegistry(context.readPeer);
  let inFlight = 0;
  let handled = 0;
  let draining = false;
  let connections = 0;
  let onIdle: (() => void) | undefined;

  const server = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Timeouts above are checked on this period; the default (30 s) would let slow clients linger.
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      // The C client and curl --unix-socket may send no Host: a local socket has no virtual hosts.
      requireHostHeader: false,
      noDelay: true,
    },
    (req, res) => {
      inFlight += 1;
      handled += 1;
      handle(req, res)
        .catch((error) => {
          logger.error({ error: error instanceof Error ? error.message : String(error) }, 'request failed');
          if (!res.headersSent) send(res, req, 500, JSON_TYPE, errorBody(httpErrorFor(error)));
          else res.destroy();
        })
        .finally(() => {
          inFlight -= 1;
          if (inFlight === 0) onIdle?.();
        });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = 64;
  server.timeout = limits.idleTimeoutMs;

  server.on('connection', (socket: Socket) => {
    if (!peers.identify(socket)) {
      metrics.rejected.inc({ reason: 'peer_unknown' });
      logger.warn('refused a connection whose peer credentials could not be read');
      socket.destroy();
      return;
    }
    connections += 1;
    socket.once('close', () => {
      connections -= 1;
    });
  });
  server.on('drop', () => metrics.rejected.inc({ reason: 'max_connections' }));
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const code = error.code ?? '';
    metrics.rejected.inc({ reason: code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'timeout' : 'malformed' });
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = CLIENT_ERROR_STATUS[code] ?? 400;
    const body = errorBody(
      httpError(
        status,
        status === 408 ? 'REQUEST_TIMEOUT' : status === 431 ? 'HEADERS_TOO_LARGE' : 'BAD_HTTP',
        status === 408
          ? 'the request took too long to arrive'
          : status === 431
            ? `the request headers are larger than ${limits.maxHeaderBytes} bytes`
            : 'the request is not valid HTTP/1.1',
      ),
    );
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    // A client that never reads its answer must not hold the socket.
    socket.setTimeout(1000, () => socket.destroy());
  });

  function send(
    res: ServerResponse,
    req: IncomingMessage,
    status: number,
    contentType: string,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    res.statusCode = status;
    res.setHeader('content-type', contentType);
    res.setHeader('content-length', Buffer.byteLength(body));
    res.setHeader('cache-control', 'no-store');
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (draining) res.setHeader('connection', 'close');
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function sendError(res: ServerResponse, req: IncomingMessage, error: HttpError, close = false): void {
    send(res, req, error.status, JSON_TYPE, errorBody(error), {
      ...(error.headers ?? {}),
      ...(close ? { connection: 'close' } : {}),
    });
  }

  function auditProfile(
    operation: AuditOperation,
    runtime: ProfileRuntime,
    peer: Peer,
    status: number,
    extra: { code?: string; digest?: string } = {},
  ): void {
    const serial = runtime.serial();
    audit.record({
      operation,
      outcome: status < 400 ? 'ok' : status === 403 ? 'denied' : 'error',
      status,
      profile: runtime.config.name,
      peer,
      ...(serial ? { serial } : {}),
      ...extra,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const route = matchRoute(method, req.url ?? '/');
    const label = route.kind === 'not-found' || route.kind === 'method-not-allowed' ? 'unknown' : route.kind;
    const respond = (status: number) => metrics.requests.inc({ route: label, outcome: outcomeOf(status) });
    const peer = peers.peerOf(req.socket);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      respond(413);
      return sendError(
        res,
        req,
        httpError(413, 'BODY_TOO_LARGE', `the request body is larger than ${MAX_BODY_BYTES} bytes`),
        true,
      );
    }
    if (!peer) {
      respond(403);
      return sendError(res, req, httpError(403, 'FORBIDDEN', 'the client could not be identified'), true);
    }

    switch (route.kind) {
      case 'not-found': {
        respond(404);
        const message =
          route.code === 'PROFILE_NOT_FOUND'
            ? 'no such profile'
            : `no route ${method} ${(req.url ?? '').split('?')[0]?.slice(0, 200)}`;
        return sendError(
          res,
          req,
          httpError(
            404,
            route.code,
            message,
            'routes: GET /v1/health, GET /v1/metrics, GET /v1/profiles/<name>/credentials|certificate, POST /v1/profiles/<name>/sign',
          ),
        );
      }
      case 'method-not-allowed':
        respond(405);
        return send(
          res,
          req,
          405,
          JSON_TYPE,
          errorBody(
            httpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${route.allow}`),
          ),
          { allow: route.allow },
        );
      case 'health': {
        const report = healthReport(context.profiles(), context.startedAt, context.now());
        const status = report.status === 'ok' ? 200 : 503;
        respond(status);
        return send(res, req, status, JSON_TYPE, `${JSON.stringify(report)}\n`);
      }
      case 'metrics': {
        const text = metrics.render({
          profiles: context.profiles(),
          connections,
          startedAt: context.startedAt,
          now: context.now(),
        });
        respond(200);
        return send(res, req, 200, 'text/plain; version=0.0.4; charset=utf-8', text);
      }
    }

    const runtime = context.profile(route.profile);
    if (!runtime) {
      respond(404);
      return sendError(
        res,
        req,
        httpError(
          404,
          'PROFILE_NOT_FOUND',
          `no profile named "${route.profile}"`,
          'see GET /v1/health for the configured profiles',
        ),
      );
    }
    if (!principalsFor(route.kind, runtime).some((principals) => isAuthorized(peer, principals))) {
      respond(403);
      auditProfile(route.kind, runtime, peer, 403, { code: 'FORBIDDEN' });
      logger.warn(
        { uid: peer.uid, gid: peer.gid, pid: peer.pid, profile: runtime.config.name, operation: route.kind },
        'request refused',
      );
      const list = route.kind === 'sign' ? 'sign' : route.kind === 'credentials' ? 'allow' : 'allow or sign';
      return sendError(
        res,
        req,
        httpError(
          403,
          'FORBIDDEN',
          `uid ${peer.uid} (gid ${peer.gid}) may not ${route.kind === 'sign' ? 'sign with' : `read the ${route.kind} of`} profile "${runtime.config.name}"`,
          `add the uid or gid to the profile's ${list} list in the agent config and reload it (SIGHUP)`,
        ),
      );
    }

    let result: RouteResult;
    try {
      if (route.kind === 'credentials') result = await credentialsRoute(runtime);
      else if (route.kind === 'certificate') result = await certificateRoute(runtime);
      else {
        const type = req.headers['content-type'];
        if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
          throw httpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json');
        }
        result = await signRoute(runtime, await readBody(req, MAX_BODY_BYTES));
      }
    } catch (error) {
      const answer = isHttpError(error) ? error : httpErrorFor(error);
      respond(answer.status);
      auditProfile(route.kind, runtime, peer, answer.status, { code: answer.code });
      return sendError(res, req, answer, answer.status === 413);
    }
    respond(result.status);
    auditProfile(route.kind, runtime, peer, result.status, result.digest ? { digest: result.digest } : {});
    return send(res, req, result.status, result.contentType, result.body);
  }

  return {
    server,
    inFlight: () => inFlight,
    handled: () => handled,
    connections: () => connections,
    async drain(timeoutMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          onIdle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      // Keep-alive connections that went idle while draining, and anything past the deadline.
      server.closeAllConnections();
      await closed;
    },
  };
}
