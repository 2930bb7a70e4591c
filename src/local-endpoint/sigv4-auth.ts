import { headerValue, queryValue, type RequestParts } from './request-parts';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** What an AWS4-HMAC-SHA256 request claims: who signed it, for what scope, over which headers. */
export interface SigV4Auth {
  /** Authorization header, or presigned URL query parameters. */
  location: 'header' | 'query';
  accessKeyId: string;
  /** `<YYYYMMDD>/<region>/<service>/aws4_request` */
  scope: string;
  scopeDate: string;
  region: string;
  service: string;
  /** Lower-case names, in the order the client listed them. */
  signedHeaders: string[];
  signature: string;
  /** X-Amz-Date as sent, `YYYYMMDDTHHMMSSZ`; undefined when absent. */
  amzDate: string | undefined;
  /** X-Amz-Expires of a presigned URL, in seconds. */
  expiresSeconds: number | undefined;
  securityToken: string | undefined;
}

export type ParsedAuth =
  | { kind: 'none' }
  | { kind: 'sigv4'; auth: SigV4Auth }
  /** Signed, but not in a form we can check; `service` when the credential scope was readable. */
  | { kind: 'malformed'; message: string; service: string | undefined; accessKeyId: string | undefined };

interface Credential {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
}

function parseCredential(value: string): Credential | undefined {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return undefined;
  const [accessKeyId = '', scopeDate = '', region = '', service = ''] = parts;
  if (!accessKeyId || !/^\d{8}$/.test(scopeDate) || !region || !service) return undefined;
  return { accessKeyId, scopeDate, region, service };
}

/** The service named by a credential, even when the rest of the request is malformed (for routing). */
function serviceOf(credential: string | undefined): string | undefined {
  return credential ? credential.split('/')[3] : undefined;
}

function malformed(message: string, credential?: string): ParsedAuth {
  return {
    kind: 'malformed',
    message,
    service: serviceOf(credential),
    accessKeyId: credential?.split('/')[0],
  };
}

function fromParts(
  location: SigV4Auth['location'],
  fields: { credential?: string; signedHeaders?: string; signature?: string },
  extra: { amzDate: string | undefined; expires: string | undefined; securityToken: string | undefined },
): ParsedAuth {
  const { credential, signedHeaders, signature } = fields;
  if (!credential || signedHeaders === undefined || signature === undefined) {
    return malformed('the authorization must name Credential, SignedHeaders and Signature', credential);
  }
  const parsed = parseCredential(credential);
  if (!parsed) {
    return malformed(
      `the credential '${credential.split('/').slice(1).join('/')}' is not <key>/<date>/<region>/<service>/aws4_request`,
      credential,
    );
  }
  if (!/^[0-9a-f]{64}$/.test(signature))
    return malformed('the signature is not 64 lower-case hex digits', credential);
  const names = signedHeaders.split(';');
  if (names.some((name) => name === '' || name !== name.toLowerCase())) {
    return malformed('SignedHeaders must be lower-case header names separated by ;', credential);
  }
  let expiresSeconds: number | undefined;
  if (location === 'query') {
    expiresSeconds = Number(extra.expires);
    if (!/^\d+$/.test(extra.expires ?? '') || expiresSeconds < 1 || expiresSeconds > 604800) {
      return malformed('X-Amz-Expires must be a number of seconds between 1 and 604800 (7 days)', credential);
    }
  }
  return {
    kind: 'sigv4',
    auth: {
      location,
      ...parsed,
      scope: `${parsed.scopeDate}/${parsed.region}/${parsed.service}/aws4_request`,
      signedHeaders: names,
      signature,
      amzDate: extra.amzDate,
      expiresSeconds,
      securityToken: extra.securityToken,
    },
  };
}

/** `Credential=a/b, SignedHeaders=c;d, Signature=e` -> fields; undefined when a field repeats. */
function headerFields(rest: string): Record<string, string> | undefined {
  const fields: Record<string, string> = {};
  for (const part of rest.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq === -1) return undefined;
    const name = trimmed.slice(0, eq).trim();
    if (Object.hasOwn(fields, name)) return undefined;
    fields[name] = trimmed.slice(eq + 1).trim();
  }
  return fields;
}

/**
 * Reads SigV4 authentication from the Authorization header or a presigned URL's query.
 * Other schemes (the X.509 algorithms CreateSession uses, SigV2) are reported as 'none' or 'malformed'.
 */
export function parseSigV4Auth(request: Pick<RequestParts, 'headers' | 'query'>): ParsedAuth {
  const header = headerValue(request.headers, 'authorization');
  const queryAlgorithm = queryValue(request.query, 'X-Amz-Algorithm');
  if (header !== undefined && queryAlgorithm !== undefined) {
    return malformed('use either the Authorization header or presigned query parameters, not both');
  }
  if (header !== undefined) {
    const match = /^(\S+)\s+(.*)$/s.exec(header.trim());
    if (!match || match[1] !== SIGV4_ALGORITHM) {
      return malformed(
        `unsupported authorization type '${(match?.[1] ?? header).slice(0, 40)}'; sign with ${SIGV4_ALGORITHM}`,
      );
    }
    const fields = headerFields(match[2] ?? '');
    if (!fields)
      return malformed('the Authorization header is not Credential=..., SignedHeaders=..., Signature=...');
    return fromParts(
      'header',
      { credential: fields.Credential, signedHeaders: fields.SignedHeaders, signature: fields.Signature },
      {
        amzDate: headerValue(request.headers, 'x-amz-date'),
        expires: undefined,
        securityToken: headerValue(request.headers, 'x-amz-security-token'),
      },
    );
  }
  if (queryAlgorithm !== undefined) {
    const credential = queryValue(request.query, 'X-Amz-Credential');
    if (queryAlgorithm !== SIGV4_ALGORITHM) {
      return malformed(
        `unsupported X-Amz-Algorithm '${queryAlgorithm.slice(0, 40)}'; sign with ${SIGV4_ALGORITHM}`,
        credential,
      );
    }
    return fromParts(
      'query',
      {
        credential,
        signedHeaders: queryValue(request.query, 'X-Amz-SignedHeaders'),
        signature: queryValue(request.query, 'X-Amz-Signature'),
      },
      {
        amzDate: queryValue(request.query, 'X-Amz-Date'),
        expires: queryValue(request.query, 'X-Amz-Expires'),
        securityToken: queryValue(request.query, 'X-Amz-Security-Token'),
      },
    );
  }
  if (
    queryValue(request.query, 'AWSAccessKeyId') !== undefined &&
    queryValue(request.query, 'Signature') !== undefined
  ) {
    return malformed(
      "Signature Version 2 presigned URLs are not supported; presign with SigV4 (boto3: Config(signature_version='s3v4'))",
    );
  }
  return { kind: 'none' };
}
