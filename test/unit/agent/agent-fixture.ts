// Shared set-up of the agent tests: a real PKI (openssl), a real CreateSession endpoint on
// loopback (the canned endpoint counts each call), a real agent on a real Unix socket, and
// small HTTP clients over that socket. Nothing is mocked.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { type Agent, type AgentOptions, startAgent } from '../../../src/agent/agent';
import { parseAgentConfig } from '../../../src/agent/config';
import { REDACTED_PATHS } from '../../../src/log';
import { loadNative } from '../../../src/native';
import { createRootCa, issueLeaf, type TestCa, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import {
  type CannedEndpoint,
  type Responder,
  startCannedEndpoint,
  successBody,
} from '../rolesanywhere/canned-endpoint';

export const TRUST_ANCHOR =
  'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-0000-4000-8000-000000000001';
export const PROFILE_ARN =
  'arn:aws:rolesanywhere:us-east-1:123456789012:profile/0a1b2c3d-0000-4000-8000-000000000002';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/edge-role';

/** A CreateSession answer whose credentials expire `lifetimeMs` after `now()`. */
export function freshCredentials(now: () => number = Date.now, lifetimeMs = 3600_000): Responder {
  return () => ({
    status: 201,
    headers: { 'content-type': 'application/json' },
    body: successBody(new Date(now() + lifetimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z')),
  });
}

export interface Pki {
  ca: TestCa;
  leaf: TestLeaf;
}

export function makePki(dir: string, keyType: 'ec-p256' | 'rsa-2048' = 'ec-p256'): Pki {
  const ca = createRootCa(dir, `Agent Test CA ${keyType}`);
  const leaf = issueLeaf(dir, ca, { name: `device-${keyType}`, keyType });
  return { ca, leaf };
}

/** Config YAML for file-key profiles; `extra` is appended to each profile. */
export function fileProfileYaml(
  name: string,
  leaf: TestLeaf,
  endpoint: string,
  access: { allowUids?: number[]; allowGids?: number[]; signUids?: number[]; signGids?: number[] } = {},
  extra = '',
): string {
  return [
    `  ${name}:`,
    `    certificate: ${leaf.certPath}`,
    `    privateKey: ${leaf.keyPath}`,
    `    trustAnchorArn: ${TRUST_ANCHOR}`,
    `    profileArn: ${PROFILE_ARN}`,
    `    roleArn: ${ROLE_ARN}`,
    `    endpoint: ${endpoint}`,
    `    allow: { uids: [${(access.allowUids ?? [0]).join(', ')}], gids: [${(access.allowGids ?? []).join(', ')}] }`,
    `    sign: { uids: [${(access.signUids ?? [0]).join(', ')}], gids: [${(access.signGids ?? []).join(', ')}] }`,
    ...(extra ? [extra] : []),
  ].join('\n');
}

/** A logger that writes JSON lines to a file synchronously, so tests can read every line. */
export function fileLogger(path: string, level: 'debug' | 'info' = 'debug'): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: undefined },
    pino.destination({ dest: path, sync: true }),
  );
}

export interface TestAgent {
  agent: Agent;
  socket: string;
  configPath: string;
  auditPath: string;
  logPath: string;
  dir: string;
  /** Rewrites the config file (for reload tests). */
  writeConfig(text: string): void;
  close(): Promise<void>;
}

/**
 * Starts an agent in this process on `<dir>/run/agent.sock` with the given config text
 * (written to `<dir>/agent.yaml`), audit log and debug log in files.
 */
export async function startTestAgent(
  dir: string,
  configText: string,
  options: Partial<Pick<AgentOptions, 'now' | 'env' | 'socket' | 'openSigner'>> & {
    logLevel?: 'debug' | 'info';
  } = {},
): Promise<TestAgent> {
  const configPath = join(dir, 'agent.yaml');
  const auditPath = join(dir, 'audit.log');
  const logPath = join(dir, 'agent.log');
  const socket = options.socket ?? join(dir, 'run', 'agent.sock');
  writeFileSync(configPath, configText);
  const load = () => parseAgentConfig(readFileSync(configPath, 'utf8'), configPath);
  const agent = await startAgent({
    config: load(),
    loadConfig: load,
    socket,
    auditLog: auditPath,
    logger: fileLogger(logPath, options.logLevel ?? 'debug'),
    native: loadNative(),
    ...(options.now ? { now: options.now } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.openSigner ? { openSigner: options.openSigner } : {}),
  });
  return {
    agent,
    socket,
    configPath,
    auditPath,
    logPath,
    dir,
    writeConfig: (text) => writeFileSync(configPath, text),
    close: () => agent.close(),
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: () => Record<string, unknown>;
}

/** One request over the Unix socket on a new connection. */
export function request(
  socket: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text,
          json: () => JSON.parse(text),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes on a new connection and collects everything until the agent closes it (or `timeoutMs`). */
export function rawExchange(
  socket: string,
  payload: string | Buffer,
  timeoutMs = 5000,
  options: { halfClose?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect(socket);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      client.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    }, timeoutMs);
    client.on('data', (chunk) => chunks.push(chunk));
    client.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    client.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      clearTimeout(timer);
      reject(error);
    });
    client.write(payload);
    if (options.halfClose) client.end();
  });
}

/** A temp dir other uids can traverse (setpriv clients must reach the socket inside it). */
export function makeSharedTempDir(prefix: string) {
  const tmp = makeTempDir(prefix);
  chmodSync(tmp.path, 0o711);
  return tmp;
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function readLines(path: string): Record<string, unknown>[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  // A line still being written (no newline yet) is not read.
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

export { type CannedEndpoint, startCannedEndpoint };
