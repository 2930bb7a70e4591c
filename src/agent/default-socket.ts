import { join } from 'node:path';

/** The system agent's socket (run as root, or as a service user with RuntimeDirectory=). */
export const SYSTEM_SOCKET = '/run/rolesanywhere-agent/agent.sock';

/** Clients find the agent here first, as ssh finds its agent through SSH_AUTH_SOCK. */
export const SOCKET_ENV = 'ROLESANYWHERE_AGENT_SOCKET';

/**
 * Where the agent listens by default: /run/rolesanywhere-agent/agent.sock as root, else
 * $XDG_RUNTIME_DIR/rolesanywhere-agent/agent.sock (per-user, 0700 by systemd-logind);
 * undefined when neither applies.
 */
export function defaultSocketPath(
  uid: number = process.getuid?.() ?? 0,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (uid === 0) return SYSTEM_SOCKET;
  const runtime = env.XDG_RUNTIME_DIR;
  return runtime ? join(runtime, 'rolesanywhere-agent', 'agent.sock') : undefined;
}
