import { AgentError } from '../errors';
import type { HttpResponse } from './http-transport';

/** Who asked, for messages: the certificate serial and the ARNs of the call. */
export interface SessionContext {
  serialDecimal: string;
  serialHex: string;
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  region: string;
  endpointUrl: string;
}

export interface AwsErrorShape {
  /** The short error name, e.g. AccessDeniedException; undefined when the response names none. */
  type?: string;
  /** The service's own message; undefined when there is none. */
  message?: string;
}

/** Longest service message quoted back; longer ones are an HTML page or worse. */
const MAX_MESSAGE = 300;

/**
 * Reads an AWS JSON error: the type from x-amzn-ErrorType ("Name:http://..." form) or the
 * body's __type/code ("namespace#Name" form), the message from message/Message. A body that
 * is not JSON is quoted as the message (trimmed to one line), since proxies answer with text.
 */
export function parseAwsError(response: Pick<HttpResponse, 'headers' | 'body'>): AwsErrorShape {
  const header = response.headers['x-amzn-errortype'];
  const headerType = typeof header === 'string' ? cleanType(header) : undefined;
  const text = response.body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const record =
    json !== null && typeof json === 'object' && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  const bodyType = pickString(record, ['__type', 'code', 'Code']);
  const message = record
    ? pickString(record, ['message', 'Message', 'errorMessage'])
    : text.trim() || undefined;
  const type = headerType ?? (bodyType ? cleanType(bodyType) : undefined);
  const shape: AwsErrorShape = {};
  if (type) shape.type = type;
  if (message) shape.message = oneLine(message);
  return shape;
}

/** The stable code of a failed CreateSession, from the error type first and the status second. */
export function errorCodeFor(status: number, type: string | undefined): string {
  switch (type) {
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'IncompleteSignatureException':
    case 'ExpiredTokenException':
      return 'ACCESS_DENIED';
    case 'ResourceNotFoundException':
      return 'RESOURCE_NOT_FOUND';
    case 'ValidationException':
      return 'VALIDATION';
    case 'ThrottlingException':
    case 'TooManyRequestsException':
      return 'THROTTLED';
  }
  if (status === 401 || status === 403) return 'ACCESS_DENIED';
  if (status === 404) return 'RESOURCE_NOT_FOUND';
  if (status === 400) return 'VALIDATION';
  if (status === 429) return 'THROTTLED';
  if (status >= 500) return 'SERVICE_ERROR';
  if (status >= 400) return 'REQUEST_FAILED';
  return 'BAD_RESPONSE';
}

function hintFor(code: string, context: SessionContext, message: string | undefined): string {
  switch (code) {
    case 'ACCESS_DENIED':
      return [
        "the certificate may not chain to the trust anchor's CA (or an intermediate is missing: pass --intermediates),",
        'it may be revoked by a CRL imported into Roles Anywhere, the trust anchor or profile may be disabled,',
        "the profile may not list the role, or the role's trust policy conditions are not met",
        "(check aws:PrincipalTag/x509Subject/OU and the other x509 conditions in the role's trust policy)",
        /signature|date|time|expired|skew/i.test(message ?? '')
          ? '; also check that the system clock is right'
          : '',
      ]
        .join(' ')
        .replace(' ;', ';');
    case 'RESOURCE_NOT_FOUND':
      return `check the trust anchor and profile ARNs, and that region ${context.region} is the region they were created in`;
    case 'VALIDATION':
      return "check --session-duration (900..43200 and within the profile's limit), --role-session-name (the profile must accept role session names) and that the certificate is a v3 leaf with digitalSignature signed with SHA-256 or stronger";
    case 'THROTTLED':
      return 'CreateSession allows 10 requests per second per account and region across the whole fleet: cache credentials and spread refreshes out';
    case 'SERVICE_ERROR':
      return 'the service failed: try again later (see the AWS Health Dashboard for the region)';
    case 'REQUEST_FAILED':
      return `check that ${context.endpointUrl} is an IAM Roles Anywhere endpoint`;
    default:
      return `check that ${context.endpointUrl} is an IAM Roles Anywhere endpoint (--endpoint, --region)`;
  }
}

/**
 * The AgentError for a CreateSession that the service answered with an error: it names the
 * certificate serial (decimal and hex), the ARNs, the endpoint and the service's message.
 */
export function mapErrorResponse(response: HttpResponse, context: SessionContext, attempts = 1): AgentError {
  const { type, message } = parseAwsError(response);
  const code = errorCodeFor(response.statusCode, type);
  const what = `${response.statusCode}${type ? ` ${type}` : ''}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const subject = arnsFor(code, context);
  const text =
    `createsession ${code === 'ACCESS_DENIED' ? 'denied' : 'failed'} (${what})${tries} for certificate serial ` +
    `${context.serialDecimal} (hex ${context.serialHex}) ${subject} at ${context.endpointUrl}` +
    `: ${message ?? 'the service gave no message'}`;
  return new AgentError(code, text, { hint: hintFor(code, context, message) });
}

function arnsFor(code: string, context: SessionContext): string {
  // A 404 is about the anchor or profile; name the role only where it is the likely subject.
  if (code === 'RESOURCE_NOT_FOUND') {
    return `with trust anchor ${context.trustAnchorArn} and profile ${context.profileArn}`;
  }
  return `with trust anchor ${context.trustAnchorArn}, profile ${context.profileArn} and role ${context.roleArn}`;
}

function cleanType(value: string): string {
  // "AccessDeniedException:http://internal.amazon.com/..." and "com.amazonaws.rolesanywhere#AccessDeniedException".
  const afterHash = value.includes('#') ? value.slice(value.lastIndexOf('#') + 1) : value;
  return afterHash.split(':')[0]?.trim() ?? afterHash;
}

function pickString(record: Record<string, unknown> | undefined, names: string[]): string | undefined {
  for (const name of names) {
    const value = record?.[name];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}...` : flat;
}
