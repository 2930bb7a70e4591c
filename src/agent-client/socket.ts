import { existsSync } from 'node:fs';
import { defaultSocketPath, SOCKET_ENV, SYSTEM_SOCKET } from '../agent/default-socket';

/**
 * The agent socket a client should use: the one given, else $ROLESANYWHERE_AGENT_SOCKET, else
 * the per-user socket when it exists, else the system agent's.
 */
export function resolveAgentSocket(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (given) return given;
  const fromEnv = env[SOCKET_ENV];
  if (fromEnv) return fromEnv;
  const own = defaultSocketPath(process.getuid?.() ?? 0, env);
  if (own && existsSync(own)) return own;
  return SYSTEM_SOCKET;
}
