import http from 'node:http';
import { AgentError, describeError } from '../errors';

export interface AgentRequestOptions {
  /** Give up after this long (ms); default 15000 (a first CreateSession may take a while). */
  timeoutMs?: number;
}

/** One keep-alive pool per socket: repeated calls (a Signer signing) reuse connections. */
const pools = new Map<string, http.Agent>();

function poolFor(socket: string): http.Agent {
  let pool = pools.get(socket);
  if (!pool) {
    // Idle sockets are unref'd by Node, so a pool never keeps a process alive.
    pool = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, timeout: 30_000 });
    pools.set(socket, pool);
  }
  return pool;
}

function connectError(socket: string, error: NodeJS.ErrnoException): AgentError {
  const code = error.code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new AgentError('AGENT_NOT_RUNNING', `no agent is listening on ${socket}`, {
      hint: 'start it (systemctl start rolesanywhere-agent) or give the socket with --agent PATH / ROLESANYWHERE_AGENT_SOCKET',
      cause: error,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new AgentError('AGENT_ACCESS_DENIED', `permission denied on agent socket ${socket}`, {
      hint: "ask the administrator to add this user to the agent socket's group",
      cause: error,
    });
  }
  return new AgentError(
    'AGENT_UNREACHABLE',
    `cannot talk to the agent on ${socket}: ${describeError(error)}`,
    {
      hint: 'check that the agent is running and the socket path is right',
      cause: error,
    },
  );
}

/** The agent's JSON error body: {"message", "code", "hint"?}. */
function agentError(socket: string, status: number, body: string): AgentError {
  let parsed: { message?: unknown; code?: unknown; hint?: unknown } = {};
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not the agent's JSON: the status alone speaks.
  }
  const code = typeof parsed.code === 'string' ? parsed.code : `HTTP_${status}`;
  const message = typeof parsed.message === 'string' ? parsed.message : `the agent answered ${status}`;
  return new AgentError(code, `agent ${socket}: ${message}`, {
    ...(typeof parsed.hint === 'string' ? { hint: parsed.hint } : {}),
  });
}

/**
 * One request to the agent over its Unix socket; resolves with the response text of a 2xx,
 * rejects with an AgentError carrying the agent's code and message otherwise.
 */
export function agentRequest(
  socket: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  options: AgentRequestOptions = {},
): Promise<string> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: socket,
        agent: poolFor(socket),
        method,
        path,
        headers: {
          host: 'localhost',
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => reject(connectError(socket, error)));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else reject(agentError(socket, status, text));
        });
      },
    );
    const timeoutMs = options.timeoutMs ?? 15_000;
    const timer = setTimeout(() => {
      req.destroy(
        Object.assign(new Error(`no answer within ${timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }) as NodeJS.ErrnoException,
      );
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(connectError(socket, error));
    });
    req.end(payload);
  });
}

/** Closes the idle connections of every pool (tests, short-lived tools). */
export function closeAgentConnections(): void {
  for (const pool of pools.values()) pool.destroy();
  pools.clear();
}
