import { getCertificate, sign } from '../agent-client/client';
import { resolveAgentSocket } from '../agent-client/socket';
import { AgentError } from '../errors';
import { type X509Certificate, x509 } from '../x509/x509';
import { algorithmFor, type EcCurve, type Signer } from './signer';

export interface FromAgentOptions {
  /** Agent socket; default $ROLESANYWHERE_AGENT_SOCKET or the default path. */
  socket?: string;
  profile: string;
  timeoutMs?: number;
}

const CURVES: Record<string, EcCurve> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521' };

/**
 * A Signer whose key is held by the agent: the certificate and chain come from GET
 * .../certificate, each signature from POST .../sign (the caller must be on the profile's
 * sign list). Nothing of the key is ever in this process.
 */
export async function fromAgent(options: FromAgentOptions): Promise<Signer> {
  const socket = resolveAgentSocket(options.socket);
  const requestOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const data = await getCertificate(socket, options.profile, requestOptions);
  let certificate: X509Certificate;
  let chain: X509Certificate[];
  try {
    certificate = new x509.X509Certificate(data.certificateData);
    chain = (data.chain ?? []).map((der) => new x509.X509Certificate(der));
  } catch (error) {
    throw new AgentError('AGENT_BAD_RESPONSE', `agent ${socket} sent a certificate that does not parse`, {
      hint: 'check that the socket belongs to rolesanywhere-agent',
      cause: error,
    });
  }
  const algorithm = certificate.publicKey.algorithm as {
    name: string;
    namedCurve?: string;
    modulusLength?: number;
  };
  const keyType = data.keyType === 'RSA' ? 'rsa' : 'ec';
  const curve = keyType === 'ec' ? CURVES[algorithm.namedCurve ?? ''] : undefined;
  return {
    keyType,
    ...(curve ? { curve } : {}),
    ...(keyType === 'rsa' && algorithm.modulusLength ? { modulusBits: algorithm.modulusLength } : {}),
    algorithm: algorithmFor(keyType),
    certificate,
    chain,
    sign: (bytes, digest = 'SHA256') => sign(socket, options.profile, bytes, digest, requestOptions),
    async close() {},
  };
}
