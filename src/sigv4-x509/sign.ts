import type { Signer } from '../signer/signer';
import { signerLeaf } from '../signer/signer-leaf';
import { toBase64 } from '../x509/pem';
import { serialToDecimal } from '../x509/serial';
import { formatAuthorization } from './authorization';
import { selectSignedHeaders } from './canonical-headers';
import { createCanonicalRequest } from './canonical-request';
import { createCredentialScope, formatAmzDate } from './credential-scope';
import type { SignedX509Request, X509SignableRequest } from './request';
import { createStringToSign } from './string-to-sign';

/** What a request's signature covers, for --debug output: public data only, never a secret. */
export interface X509SigningDebugEvent {
  canonicalRequest: string;
  stringToSign: string;
}

export interface SignX509Options {
  signer: Signer;
  region: string;
  service?: string;
  signingDate?: Date;
  /** Called once per request, before the key signs, with the canonical request and the string to sign. */
  debug?: (event: X509SigningDebugEvent) => void;
}

/** Headers the signer owns: any copy the caller left on the request is replaced. */
const GENERATED_HEADERS = ['authorization', 'x-amz-date', 'x-amz-x509', 'x-amz-x509-chain'];

/**
 * Signs a request the Roles Anywhere way and returns a new request carrying Host (when
 * missing), X-Amz-Date, X-Amz-X509, X-Amz-X509-Chain (when the signer has intermediates)
 * and Authorization. Every other header present is signed too. The input is not changed.
 * The result has the shape of @smithy/protocol-http's HttpRequest, which is how the AWS SDK
 * recognizes a request (HttpRequest.isInstance); not the class itself, whose module loads
 * @smithy/core (1.3 MB of heap in the agent, ~2 ms of each credential_process start).
 */
export async function signX509Request(
  request: X509SignableRequest,
  options: SignX509Options,
): Promise<SignedX509Request> {
  const { signer, region, service = 'rolesanywhere', signingDate = new Date() } = options;
  const amzDate = formatAmzDate(signingDate);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!GENERATED_HEADERS.includes(name.toLowerCase())) headers[name] = value;
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host')) headers.host = hostHeader(request);
  headers['x-amz-date'] = amzDate;
  // The leaf as the signer holds it: a key file's certificate is not parsed to sign.
  const leaf = signerLeaf(signer);
  headers['x-amz-x509'] = toBase64(leaf.der);
  if (signer.chain.length > 0)
    headers['x-amz-x509-chain'] = signer.chain.map((cert) => toBase64(cert.rawData)).join(',');

  const signedHeaders = selectSignedHeaders(headers);
  const canonicalRequest = createCanonicalRequest({ ...request, headers }, signedHeaders);
  const scope = createCredentialScope(amzDate, region, service);
  const stringToSign = createStringToSign(signer.algorithm, amzDate, scope, canonicalRequest);
  options.debug?.({ canonicalRequest, stringToSign });
  const signature = await signer.sign(new TextEncoder().encode(stringToSign), 'SHA256');
  headers.authorization = formatAuthorization(
    signer.algorithm,
    serialToDecimal(leaf),
    scope,
    signedHeaders,
    Buffer.from(signature).toString('hex'),
  );
  return {
    method: request.method,
    protocol: request.protocol,
    hostname: request.hostname,
    ...(request.port === undefined ? {} : { port: request.port }),
    path: request.path,
    query: copyQuery(request.query),
    headers,
    body: request.body,
  };
}

/** Host as a client sends it: hostname, plus the port unless it is the scheme's default. */
export function hostHeader(request: Pick<X509SignableRequest, 'protocol' | 'hostname' | 'port'>): string {
  const hostname =
    request.hostname.includes(':') && !request.hostname.startsWith('[')
      ? `[${request.hostname}]`
      : request.hostname;
  const scheme = request.protocol.replace(/:$/, '').toLowerCase();
  const defaultPort = scheme === 'http' ? 80 : scheme === 'https' ? 443 : undefined;
  return request.port === undefined || request.port === defaultPort
    ? hostname
    : `${hostname}:${request.port}`;
}

function copyQuery(query: X509SignableRequest['query']): Record<string, string | string[] | null> {
  const copy: Record<string, string | string[] | null> = {};
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) copy[name] = typeof value === 'string' || value === null ? value : [...value];
  }
  return copy;
}
