import { AgentError } from '../errors';
import type { SigningAlgorithm } from '../signer/signer';

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = [
  'AWS4-X509-RSA-SHA256',
  'AWS4-X509-ECDSA-SHA256',
];

export interface Authorization {
  algorithm: SigningAlgorithm;
  /** Leaf certificate serial, decimal, as the client wrote it. */
  serial: string;
  /** YYYYMMDD/<region>/<service>/aws4_request */
  scope: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  /** Lower-case hex. */
  signature: string;
}

export function formatAuthorization(
  algorithm: string,
  serial: string,
  scope: string,
  signedHeaders: readonly string[],
  signatureHex: string,
): string {
  return `${algorithm} Credential=${serial}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signatureHex}`;
}

/**
 * Parses `<algorithm> Credential=<serial>/<date>/<region>/<service>/aws4_request,
 * SignedHeaders=<a;b>, Signature=<hex>` strictly: each part once, a decimal serial, sorted
 * lower-case header names, even-length hex. Throws AUTH_MALFORMED or AUTH_ALGORITHM_UNSUPPORTED.
 */
export function parseAuthorization(value: string): Authorization {
  const text = value.trim();
  const space = text.indexOf(' ');
  const algorithm = space < 0 ? text : text.slice(0, space);
  if (!/^AWS4-[A-Z0-9-]+$/.test(algorithm))
    throw malformed(`it does not start with an algorithm name (got "${clip(algorithm)}")`);
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new AgentError(
      'AUTH_ALGORITHM_UNSUPPORTED',
      `authorization algorithm ${clip(algorithm)} is not supported`,
      {
        hint: `sign with ${SIGNING_ALGORITHMS.join(' or ')}`,
      },
    );
  }
  const fields = new Map<string, string>();
  for (const part of text.slice(space + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!['Credential', 'SignedHeaders', 'Signature'].includes(key))
      throw malformed(`unexpected part "${clip(item)}"`);
    if (fields.has(key)) throw malformed(`${key} is given twice`);
    fields.set(key, item.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaderList = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaderList === undefined || signature === undefined) {
    throw malformed('it needs Credential, SignedHeaders and Signature');
  }
  const parts = credential.split('/');
  const [serial, scopeDate, region, service, terminator] = parts;
  if (
    parts.length !== 5 ||
    serial === undefined ||
    scopeDate === undefined ||
    region === undefined ||
    service === undefined
  ) {
    throw malformed('Credential must be <serial>/<date>/<region>/<service>/aws4_request');
  }
  if (terminator !== 'aws4_request') throw malformed('the credential scope must end with aws4_request');
  if (!/^\d+$/.test(serial))
    throw malformed(`the credential serial "${clip(serial)}" is not a decimal number`);
  if (!/^\d{8}$/.test(scopeDate))
    throw malformed(`the credential scope date "${clip(scopeDate)}" is not YYYYMMDD`);
  if (region === '' || service === '') throw malformed('the credential scope has an empty region or service');
  const signedHeaders = signedHeaderList.split(';');
  if (signedHeaders.some((name) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name))) {
    throw malformed('SignedHeaders must be lower-case header names separated by ";"');
  }
  if (signedHeaders.some((name, i) => i > 0 && (signedHeaders[i - 1] as string) >= name)) {
    throw malformed('SignedHeaders must be sorted and name each header once');
  }
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(signature)) throw malformed('Signature is not hex');
  return {
    algorithm: algorithm as SigningAlgorithm,
    serial,
    scope: parts.slice(1).join('/'),
    scopeDate,
    region,
    service,
    signedHeaders,
    signature: signature.toLowerCase(),
  };
}

function malformed(reason: string): AgentError {
  return new AgentError('AUTH_MALFORMED', `authorization header is malformed: ${reason}`, {
    hint: 'the client must send "<algorithm> Credential=<serial>/<scope>, SignedHeaders=<names>, Signature=<hex>"',
  });
}

/** Keeps client-supplied text in messages short. */
function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
