import type { CredentialsProvider } from '../credentials/types';
import { getCredentials } from './client';
import type { AgentRequestOptions } from './request';
import { resolveAgentSocket } from './socket';

export interface FromAgentCredentialsOptions extends AgentRequestOptions {
  /** Agent socket; default $ROLESANYWHERE_AGENT_SOCKET or the default path. */
  socket?: string;
  profile: string;
}

/**
 * An AWS SDK credential provider backed by the agent: `new S3Client({ credentials:
 * fromAgentCredentials({ profile: 'edge' }) })`. The agent caches and refreshes; the SDK calls
 * this again when the expiration nears.
 */
export function fromAgentCredentials(options: FromAgentCredentialsOptions): CredentialsProvider {
  return () =>
    getCredentials(resolveAgentSocket(options.socket), options.profile, {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
}
