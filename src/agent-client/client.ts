import type { Credentials } from '../credentials/types';
import { AgentError } from '../errors';
import type { Digest } from '../signer/signer';
import type { CertificateData } from '../x509/certificate-data';
import { type AgentRequestOptions, agentRequest } from './request';

/** GET .../certificate: read-certificate-data's fields plus the chain (base64 DER, leaf's issuer first). */
export interface AgentCertificate extends CertificateData {
  chain: string[];
}

function profilePath(profile: string, route: string): string {
  return `/v1/profiles/${encodeURIComponent(profile)}/${route}`;
}

function parse<T>(socket: string, text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new AgentError('AGENT_BAD_RESPONSE', `agent ${socket} sent ${what} that is not JSON`, {
      hint: 'check that the socket belongs to rolesanywhere-agent',
    });
  }
}

/** Credentials of `profile` from the agent (the credential_process JSON, parsed). */
export async function getCredentials(
  socket: string,
  profile: string,
  options: AgentRequestOptions = {},
): Promise<Credentials> {
  const text = await agentRequest(socket, 'GET', profilePath(profile, 'credentials'), undefined, options);
  const output = parse<Record<string, unknown>>(socket, text, 'credentials');
  const expiration = new Date(String(output.Expiration));
  if (
    typeof output.AccessKeyId !== 'string' ||
    typeof output.SecretAccessKey !== 'string' ||
    typeof output.SessionToken !== 'string' ||
    Number.isNaN(expiration.getTime())
  ) {
    throw new AgentError(
      'AGENT_BAD_RESPONSE',
      `agent ${socket} sent incomplete credentials for profile ${profile}`,
      {
        hint: 'check that the socket belongs to rolesanywhere-agent',
      },
    );
  }
  return {
    accessKeyId: output.AccessKeyId,
    secretAccessKey: output.SecretAccessKey,
    sessionToken: output.SessionToken,
    expiration,
  };
}

/** The raw credential_process JSON text of `profile`, as the agent wrote it (credential-process --agent). */
export function getProcessOutput(
  socket: string,
  profile: string,
  options: AgentRequestOptions = {},
): Promise<string> {
  return agentRequest(socket, 'GET', profilePath(profile, 'credentials'), undefined, options);
}

export async function getCertificate(
  socket: string,
  profile: string,
  options: AgentRequestOptions = {},
): Promise<AgentCertificate> {
  const text = await agentRequest(socket, 'GET', profilePath(profile, 'certificate'), undefined, options);
  return parse<AgentCertificate>(socket, text, 'a certificate');
}

/** Has the agent hash `data` with `digest` and sign it with the profile's key; DER signature. */
export async function sign(
  socket: string,
  profile: string,
  data: Uint8Array,
  digest: Digest = 'SHA256',
  options: AgentRequestOptions = {},
): Promise<Uint8Array> {
  const text = await agentRequest(
    socket,
    'POST',
    profilePath(profile, 'sign'),
    { digest, data: Buffer.from(data).toString('base64') },
    options,
  );
  const { signature } = parse<{ signature?: unknown }>(socket, text, 'a signature');
  if (typeof signature !== 'string') {
    throw new AgentError('AGENT_BAD_RESPONSE', `agent ${socket} sent no signature`, {
      hint: 'check that the socket belongs to rolesanywhere-agent',
    });
  }
  return new Uint8Array(Buffer.from(signature, 'base64'));
}
