import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { HttpsProxyAgent } from 'https-proxy-agent';
import { AgentError, describeError } from '../errors';

/** What goes on the wire: an HttpRequest as the signer returned it. */
export interface OutgoingRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | readonly string[] | null | undefined>;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface TimeoutOptions {
  /** TCP connect (and proxy tunnel) in ms; default 5000. */
  connectMs?: number;
  /** From connected to the whole response read, TLS handshake included, in ms; default 15000. */
  responseMs?: number;
}

export interface TransportOptions {
  timeouts?: TimeoutOptions;
  /** false: accept any server certificate (--no-verify-ssl). */
  verifyTls?: boolean;
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots (AWS_CA_BUNDLE). */
  extraCa?: string;
  /** http(s) URL of a proxy to tunnel through with CONNECT. */
  proxyUrl?: string;
}

export type TransportResult =
  | { ok: true; response: HttpResponse }
  | { ok: false; error: AgentError; retryable: boolean };

export const DEFAULT_TIMEOUTS: Required<TimeoutOptions> = { connectMs: 5000, responseMs: 15_000 };

/** Larger answers are not a CreateSession response; stop reading rather than buffer them. */
const MAX_BODY_BYTES = 1024 * 1024;

// Transient socket failures: another attempt may well go through.
const RETRYABLE_NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

// Node/OpenSSL codes for a server certificate that did not verify.
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** Fills in default timeouts and rejects ones that are not a positive number of ms. */
export function resolveTimeouts(timeouts: TimeoutOptions = {}): Required<TimeoutOptions> {
  const resolved = { ...DEFAULT_TIMEOUTS, ...definedOnly(timeouts) };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value <= 0 || value > 600_000) {
      throw new AgentError(
        'INVALID_OPTION',
        `timeouts.${name} ${value} is not a number of ms from 1 to 600000`,
        {
          hint: `the defaults are ${DEFAULT_TIMEOUTS.connectMs} ms to connect and ${DEFAULT_TIMEOUTS.responseMs} ms for the answer`,
        },
      );
    }
  }
  return resolved;
}

/** The wire path: path plus the query, each name and value percent-encoded as SigV4 encodes them. */
export function requestTarget(request: Pick<OutgoingRequest, 'path' | 'query'>): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value === undefined) continue;
    const values = value === null ? [''] : typeof value === 'string' ? [value] : value;
    for (const one of values) pairs.push(`${strictEncode(name)}=${strictEncode(one)}`);
  }
  return pairs.length === 0 ? request.path : `${request.path}?${pairs.join('&')}`;
}

function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Sends one request and reads the whole response, never throwing: failures come back as an
 * AgentError with whether another attempt could help. Timeouts are enforced here (connect,
 * then response), so a server that never answers costs at most connectMs + responseMs.
 */
export function sendHttpRequest(
  request: OutgoingRequest,
  options: TransportOptions = {},
): Promise<TransportResult> {
  const timeouts = resolveTimeouts(options.timeouts);
  if (!options.proxyUrl) return send(request, options, timeouts);
  // https-proxy-agent (with agent-base and debug) loads only when a proxy is used: most runs go direct.
  return import('https-proxy-agent').then(({ HttpsProxyAgent }) =>
    send(request, options, timeouts, HttpsProxyAgent),
  );
}

function send(
  request: OutgoingRequest,
  options: TransportOptions,
  timeouts: Required<TimeoutOptions>,
  ProxyAgent?: typeof HttpsProxyAgent,
): Promise<TransportResult> {
  const secure = request.protocol.replace(/:?$/, ':') === 'https:';
  const target = `${secure ? 'https' : 'http'}://${formatHost(request.hostname)}${request.port ? `:${request.port}` : ''}`;
  const via = options.proxyUrl ? ` through proxy ${redactProxy(options.proxyUrl)}` : '';

  return new Promise<TransportResult>((resolve) => {
    let settled = false;
    let phase: 'connect' | 'response' = 'connect';
    let timer: NodeJS.Timeout | undefined;
    let proxyStatus: number | undefined;
    // Closes the socket to a proxy that never answered CONNECT: destroying the request alone
    // leaves it open (agent-base has not handed it over yet), keeping the process alive. Only
    // made with a proxy: the first AbortController loads a module (0.2 ms of a CLI start).
    const proxyAbort = options.proxyUrl ? new AbortController() : undefined;

    const finish = (result: TransportResult) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (!result.ok) proxyAbort?.abort();
      resolve(result);
    };
    const startTimer = (ms: number) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        const limit = phase === 'connect' ? `connect within ${ms} ms` : `answer within ${ms} ms`;
        finish({
          ok: false,
          retryable: true,
          error: new AgentError('ENDPOINT_TIMEOUT', `endpoint ${target}${via} did not ${limit}`, {
            hint:
              phase === 'connect'
                ? 'check the network path to the endpoint (firewall, --endpoint, --region, --with-proxy and HTTPS_PROXY)'
                : 'the endpoint accepted the connection but did not answer: check --endpoint and any proxy in between',
          }),
        });
        req.destroy();
      }, ms);
    };

    const requestOptions: https.RequestOptions = {
      protocol: secure ? 'https:' : 'http:',
      hostname: request.hostname,
      ...(request.port ? { port: request.port } : {}),
      method: request.method,
      path: requestTarget(request),
      headers: request.headers,
      ...(secure
        ? {
            rejectUnauthorized: options.verifyTls !== false,
            ...(options.extraCa ? { ca: [...rootCertificates, options.extraCa] } : {}),
          }
        : {}),
      // One request per session: no pooled socket outlives it (and keeps a process alive).
      agent:
        options.proxyUrl && ProxyAgent && proxyAbort
          ? new ProxyAgent(options.proxyUrl, { keepAlive: false, signal: proxyAbort.signal })
          : false,
    };

    startTimer(timeouts.connectMs);
    const req = (secure ? https : http).request(requestOptions);

    req.on('proxyConnect', (connect: { statusCode?: number }) => {
      proxyStatus = connect.statusCode;
    });
    req.on('socket', (socket: Socket) => {
      const connected = () => {
        phase = 'response';
        startTimer(timeouts.responseMs);
      };
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    req.on('response', (res) => {
      if (proxyStatus !== undefined && proxyStatus !== 200) {
        res.resume();
        finish({
          ok: false,
          retryable: proxyStatus === 502 || proxyStatus === 503 || proxyStatus === 504,
          error: new AgentError(
            'PROXY_FAILED',
            `proxy ${redactProxy(options.proxyUrl ?? '')} refused to tunnel to ${target}: status ${proxyStatus}`,
            {
              hint:
                proxyStatus === 407
                  ? 'the proxy wants authentication: put the user and password in HTTPS_PROXY (http://user:password@host:port)'
                  : 'check that the proxy allows CONNECT to the endpoint, or set NO_PROXY for it',
            },
          ),
        });
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          finish({
            ok: false,
            retryable: false,
            error: new AgentError(
              'BAD_RESPONSE',
              `endpoint ${target} sent a response larger than ${MAX_BODY_BYTES} bytes`,
              {
                hint: 'check that --endpoint names an IAM Roles Anywhere endpoint',
              },
            ),
          });
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        finish({
          ok: true,
          response: { statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) },
        });
      });
      res.on('error', (error) => finish(networkFailure(error, target, via)));
    });
    req.on('error', (error) => finish(networkFailure(error, target, via)));
    req.end(request.body === undefined ? undefined : Buffer.from(request.body));
  });
}

/** Maps a socket/TLS error to an AgentError, with whether to try again. */
export function networkFailure(error: unknown, target: string, via = ''): TransportResult & { ok: false } {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const detail = describeError(error);
  if (TLS_VERIFY_CODES.has(code)) {
    return {
      ok: false,
      retryable: false,
      error: new AgentError(
        'TLS_VERIFY_FAILED',
        `the tls certificate of ${target} did not verify: ${detail} (${code})`,
        {
          hint: "set AWS_CA_BUNDLE to a PEM file with the CA that issued the endpoint's certificate (or, for tests only, --no-verify-ssl)",
          cause: error,
        },
      ),
    };
  }
  if (code.startsWith('ERR_SSL') || code === 'EPROTO' || /ssl|tls/i.test(code)) {
    return {
      ok: false,
      retryable: false,
      error: new AgentError('TLS_HANDSHAKE_FAILED', `tls handshake with ${target}${via} failed: ${detail}`, {
        hint: 'check that the endpoint speaks https (an http:// endpoint needs http:// in --endpoint)',
        cause: error,
      }),
    };
  }
  const retryable = RETRYABLE_NET_CODES.has(code) || /socket hang up/i.test(detail);
  return {
    ok: false,
    retryable,
    error: new AgentError('ENDPOINT_UNREACHABLE', `cannot reach ${target}${via}: ${detail}`, {
      hint:
        code === 'ENOTFOUND'
          ? 'the endpoint host name does not resolve: check --region and --endpoint (and DNS)'
          : 'check the network path to the endpoint (firewall, --endpoint, --region, --with-proxy and HTTPS_PROXY)',
      cause: error,
    }),
  };
}

/** A proxy URL without its password, for messages. */
export function redactProxy(proxyUrl: string): string {
  try {
    const url = new URL(proxyUrl);
    url.username = '';
    url.password = '';
    return url.origin;
  } catch {
    return 'from the environment';
  }
}

function formatHost(hostname: string): string {
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
