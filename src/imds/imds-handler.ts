import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatImdsOutput } from '../credentials/imds-output';
import { isoSeconds } from '../credentials/iso-seconds';
import type { Credentials, CredentialsProvider } from '../credentials/types';
import { isAgentError } from '../errors';
import { createTokenStore, parseTokenTtl, type TokenStore } from './token-store';

export const TOKEN_PATH = '/latest/api/token';
export const CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials';
export const INFO_PATH = '/latest/meta-data/iam/info';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';

export interface ImdsHandlerOptions {
  /** Where credentials come from: a cached provider, so a request costs no CreateSession. */
  provider: CredentialsProvider;
  /** The one role served (the role ARN's name). */
  roleName: string;
  /** When the served credentials were fetched (LastUpdated); default: the response time. */
  lastUpdated?: () => Date | undefined;
  /** Answered at /latest/meta-data/iam/info as InstanceProfileArn (the Roles Anywhere profile). */
  profileArn?: string;
  tokens?: TokenStore;
  /** Longest wait for credentials before answering 500 (default 5 s; SDKs give up after 1 s). */
  credentialsTimeoutMs?: number;
  /** Request bodies (IMDS takes none) larger than this are refused with 413. Default 1 KiB. */
  maxBodyBytes?: number;
  now?: () => Date;
  /** One line per failure worth an operator's eye; never given a secret. */
  log?: (line: string) => void;
}

interface Reply {
  status: number;
  body: string;
  json?: boolean;
  headers?: Record<string, string>;
}

const text = (status: number, body: string, headers?: Record<string, string>): Reply => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

/**
 * The IMDSv2 routes an AWS SDK uses to find role credentials, on a handler for node:http:
 * PUT /latest/api/token, then GET /latest/meta-data/iam/security-credentials/[<role>] with the
 * token. Every metadata request needs a live token (401), requests that went through a proxy
 * (X-Forwarded-For) are refused (403) as EC2's IMDS does, and when no valid credentials can be
 * had the answer is a 500 with the reason, never empty or expired credentials.
 */
export function createImdsHandler(
  options: ImdsHandlerOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const tokens = options.tokens ?? createTokenStore();
  const now = options.now ?? (() => new Date());
  const maxBodyBytes = options.maxBodyBytes ?? 1024;
  const timeoutMs = options.credentialsTimeoutMs ?? 5_000;
  const log = options.log ?? (() => {});

  async function credentialsReply(): Promise<Reply> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([options.provider(), timeout]);
      if (result === 'timeout') {
        return failure(
          'CREDENTIALS_PENDING',
          `no credentials within ${timeoutMs} ms: CreateSession is still running; try again shortly`,
        );
      }
      const credentials: Credentials = result;
      return {
        status: 200,
        body: formatImdsOutput(credentials, options.lastUpdated?.() ?? now()),
        json: true,
      };
    } catch (error) {
      if (isAgentError(error)) return failure(error.code, error.message);
      log(
        `unexpected error while getting credentials: ${error instanceof Error ? error.message : String(error)}`,
      );
      return failure('INTERNAL_ERROR', 'unexpected error while getting credentials; see the serve log');
    } finally {
      clearTimeout(timer);
    }
  }

  function failure(code: string, message: string): Reply {
    return {
      status: 500,
      body: JSON.stringify({ Code: code, Message: message, LastUpdated: isoSeconds(now()) }),
      json: true,
    };
  }

  function infoReply(): Reply {
    const body: Record<string, string> = {
      Code: 'Success',
      LastUpdated: isoSeconds(options.lastUpdated?.() ?? now()),
    };
    if (options.profileArn) {
      body.InstanceProfileArn = options.profileArn;
      body.InstanceProfileId = options.profileArn.split('/').pop() ?? '';
    }
    return { status: 200, body: JSON.stringify(body), json: true };
  }

  async function route(request: IncomingMessage): Promise<Reply> {
    if (request.headers['x-forwarded-for'] !== undefined) {
      return text(
        403,
        'requests with an X-Forwarded-For header are refused: this endpoint is for local clients',
      );
    }
    const method = request.method ?? '';
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url ?? '/', 'http://imds.invalid').pathname);
    } catch {
      return text(400, 'malformed request path');
    }
    const bare = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;

    if (bare === TOKEN_PATH) {
      if (method !== 'PUT') return text(405, 'use PUT to get a token', { allow: 'PUT' });
      const ttl = parseTokenTtl(request.headers[TTL_HEADER]);
      if (ttl === undefined) {
        return text(400, `missing or invalid ${TTL_HEADER}: give a whole number of seconds from 1 to 21600`);
      }
      return text(200, tokens.issue(ttl), { [TTL_HEADER]: String(ttl) });
    }

    const token = request.headers[TOKEN_HEADER];
    if (typeof token !== 'string' || token === '') {
      return text(401, `no ${TOKEN_HEADER} header: PUT ${TOKEN_PATH} first`);
    }
    const remaining = tokens.remainingSeconds(token);
    if (remaining === undefined) return text(401, 'the token is invalid or has expired: get a new one');
    if (method !== 'GET' && method !== 'HEAD') return text(405, 'use GET', { allow: 'GET, HEAD' });
    const ttlHeader = { [TTL_HEADER]: String(remaining) };

    let reply: Reply;
    if (bare === CREDENTIALS_PATH) reply = text(200, options.roleName);
    else if (bare === `${CREDENTIALS_PATH}/${options.roleName}`) reply = await credentialsReply();
    else if (bare === INFO_PATH) reply = infoReply();
    else reply = text(404, 'not found');
    return { ...reply, headers: { ...reply.headers, ...ttlHeader } };
  }

  function send(response: ServerResponse, reply: Reply, close = false): void {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(reply.status, {
      'content-type': reply.json ? 'application/json' : 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(reply.body)),
      'cache-control': 'no-store',
      ...(close ? { connection: 'close' } : {}),
      ...reply.headers,
    });
    response.end(reply.body);
  }

  /** Answers 413 and drops the connection: the rest of the body is not worth reading. */
  function refuseBody(request: IncomingMessage, response: ServerResponse): void {
    response.on('finish', () => request.socket.destroy());
    send(response, text(413, `request bodies are limited to ${maxBodyBytes} bytes`), true);
  }

  return (request, response) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!Number.isFinite(declared) || declared > maxBodyBytes) {
      refuseBody(request, response);
      return;
    }
    let received = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBodyBytes && !refused) {
        refused = true;
        refuseBody(request, response);
      }
    });
    request.on('error', () => {});
    request.on('end', () => {
      if (refused) return;
      route(request).then(
        (reply) => send(response, reply),
        (error: unknown) => {
          log(`request failed: ${error instanceof Error ? error.message : String(error)}`);
          send(response, text(500, 'internal error'));
        },
      );
    });
  };
}
