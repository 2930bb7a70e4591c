import { randomUUID } from 'node:crypto';
import { type AwsError, awsError, isAwsError, xmlEscape } from './aws-error';
import type { CredentialStore } from './credential-store';
import { headerValue, parseQuery, queryValue } from './request-parts';
import { parseSigV4Auth } from './sigv4-auth';
import { isSigV4Failure, type SigV4Failure, sha256Hex, verifySigV4 } from './sigv4-verify';
import type { EndpointRequest, EndpointResponse } from './types';

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const JSON_TARGET_PREFIX = 'AWSSecurityTokenServiceV20110615.';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

export interface StsContext {
  store: CredentialStore;
  now: () => Date;
}

type Protocol = 'query' | 'json';

/** STS speaks the query protocol (form POST, XML) and, for newer SDKs, AWS JSON 1.0 (X-Amz-Target). */
function protocolOf(request: Pick<EndpointRequest, 'headers'>): Protocol {
  const target = headerValue(request.headers, 'x-amz-target');
  const contentType = headerValue(request.headers, 'content-type') ?? '';
  return target !== undefined || contentType.startsWith(JSON_CONTENT_TYPE) ? 'json' : 'query';
}

function actionOf(request: EndpointRequest, protocol: Protocol): string | undefined {
  if (protocol === 'json') {
    const target = headerValue(request.headers, 'x-amz-target') ?? '';
    return target.startsWith(JSON_TARGET_PREFIX) ? target.slice(JSON_TARGET_PREFIX.length) : undefined;
  }
  const contentType = headerValue(request.headers, 'content-type') ?? '';
  if (request.body.length > 0 && contentType.startsWith('application/x-www-form-urlencoded')) {
    // Form bodies do encode spaces as '+'; STS parameters of interest never contain one.
    const action = queryValue(parseQuery(request.body.toString('utf8')), 'Action');
    if (action !== undefined) return action;
  }
  return queryValue(request.query, 'Action');
}

const FAILURES: Record<SigV4Failure['reason'], { status: number; code: string; text: string }> = {
  Malformed: {
    status: 400,
    code: 'IncompleteSignature',
    text: 'The request signature does not conform to AWS standards',
  },
  UnknownAccessKey: {
    status: 403,
    code: 'InvalidClientTokenId',
    text: 'The security token included in the request is invalid',
  },
  InvalidToken: {
    status: 403,
    code: 'InvalidClientTokenId',
    text: 'The security token included in the request is invalid',
  },
  SignatureMismatch: {
    status: 403,
    code: 'SignatureDoesNotMatch',
    text: 'The request signature we calculated does not match the signature you provided',
  },
  Skewed: {
    status: 403,
    code: 'RequestTimeTooSkewed',
    text: 'The difference between the request time and the current time is too large',
  },
  Expired: {
    status: 400,
    code: 'ExpiredToken',
    text: 'The security token included in the request is expired',
  },
  PresignExpired: { status: 403, code: 'SignatureDoesNotMatch', text: 'Signature expired' },
};

function fromFailure(failure: SigV4Failure): AwsError {
  const { status, code, text } = FAILURES[failure.reason];
  return awsError(status, code, `${text} (local endpoint: ${failure.message})`);
}

function renderError(error: AwsError, protocol: Protocol, requestId: string): EndpointResponse {
  const fault = error.status >= 500 ? 'Receiver' : 'Sender';
  if (protocol === 'json') {
    return {
      status: error.status,
      headers: {
        'content-type': JSON_CONTENT_TYPE,
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': error.code,
        // Query-compatible JSON services name the query error code here; SDKs prefer it.
        'x-amzn-query-error': `${error.code};${fault}`,
      },
      body: JSON.stringify({ __type: `com.amazonaws.sts#${error.code}`, message: error.message }),
    };
  }
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="${STS_NAMESPACE}">\n  <Error>\n    <Type>${fault}</Type>\n    <Code>${xmlEscape(error.code)}</Code>\n` +
      `    <Message>${xmlEscape(error.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
  };
}

interface CallerIdentity {
  Account: string;
  Arn: string;
  UserId: string;
}

function renderIdentity(identity: CallerIdentity, protocol: Protocol, requestId: string): EndpointResponse {
  if (protocol === 'json') {
    return {
      status: 200,
      headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': requestId },
      body: JSON.stringify(identity),
    };
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<GetCallerIdentityResponse xmlns="${STS_NAMESPACE}">\n  <GetCallerIdentityResult>\n` +
      `    <Arn>${xmlEscape(identity.Arn)}</Arn>\n    <UserId>${xmlEscape(identity.UserId)}</UserId>\n` +
      `    <Account>${xmlEscape(identity.Account)}</Account>\n  </GetCallerIdentityResult>\n` +
      `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`,
  };
}

/** The payload hash STS clients sign: the body's SHA-256 (x-amz-content-sha256, if sent, must agree). */
function payloadHashOf(request: EndpointRequest): string {
  const bodyHash = sha256Hex(request.body);
  const header = headerValue(request.headers, 'x-amz-content-sha256');
  if (header === undefined || header === bodyHash || /^[0-9a-f]{64}$/.test(header)) return bodyHash;
  return header;
}

async function answer(
  request: EndpointRequest,
  ctx: StsContext,
  protocol: Protocol,
): Promise<CallerIdentity> {
  const parsed = parseSigV4Auth(request);
  if (parsed.kind === 'none') {
    throw awsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  }
  if (parsed.kind === 'malformed') {
    throw awsError(
      400,
      'IncompleteSignature',
      `The request signature does not conform to AWS standards (local endpoint: ${parsed.message})`,
    );
  }
  const verified = await verifySigV4(request, parsed.auth, {
    store: ctx.store,
    now: ctx.now(),
    payloadHash: payloadHashOf(request),
  });
  const action = actionOf(request, protocol);
  if (action !== 'GetCallerIdentity') {
    throw awsError(
      400,
      'InvalidAction',
      `Could not find operation ${action ?? '(none)'} for version 2011-06-15 (the local endpoint implements GetCallerIdentity only)`,
    );
  }
  const { session } = verified;
  return { Account: session.account, Arn: session.assumedRoleArn, UserId: session.assumedRoleId };
}

/** STS GetCallerIdentity for credentials this endpoint issued, in the protocol the client used. */
export async function handleSts(request: EndpointRequest, ctx: StsContext): Promise<EndpointResponse> {
  const protocol = protocolOf(request);
  const requestId = randomUUID();
  try {
    return renderIdentity(await answer(request, ctx, protocol), protocol, requestId);
  } catch (error) {
    if (isSigV4Failure(error)) return renderError(fromFailure(error), protocol, requestId);
    if (isAwsError(error)) return renderError(error, protocol, requestId);
    throw error;
  }
}

/** An error in the STS shape the request would get (query XML, or JSON for X-Amz-Target requests). */
export function stsErrorResponse(
  error: AwsError,
  request: Pick<EndpointRequest, 'headers'>,
): EndpointResponse {
  return renderError(error, protocolOf(request), randomUUID());
}
