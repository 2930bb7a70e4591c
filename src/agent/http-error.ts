import { AgentError, isAgentError } from '../errors';

/** An error answer: HTTP status plus the JSON body every client reads ({"message", "code"}). */
export interface HttpError {
  status: number;
  code: string;
  message: string;
  hint?: string;
  headers?: Record<string, string>;
}

export function httpError(status: number, code: string, message: string, hint?: string): HttpError {
  return { status, code, message, ...(hint ? { hint } : {}) };
}

/** Errors of the key or its token: the agent cannot sign right now (503). */
const KEY_CODES =
  /^(TOKEN_UNAVAILABLE|SIGNER_CLOSED|PROVIDER_CLOSED|PIN_|PKCS11_|KEY_|CERT_|PKCS12_|FILE_UNREADABLE)/;

/**
 * The answer for an error thrown while serving: key and token problems are 503 (the agent is
 * there but cannot sign), throttling 503 with Retry-After, other AgentErrors come from
 * CreateSession or the network (502). Anything else is a bug: 500, without its details.
 */
export function httpErrorFor(error: unknown): HttpError {
  if (!isAgentError(error)) {
    return httpError(
      500,
      'INTERNAL',
      'the agent failed unexpectedly',
      'see the agent log; report it if it repeats',
    );
  }
  const { code, message } = error;
  const hint = error.hint;
  if (code === 'THROTTLED') {
    return { ...httpError(503, code, message, hint), headers: { 'retry-after': '1' } };
  }
  if (KEY_CODES.test(code)) return httpError(503, code, message, hint);
  return httpError(502, code, message, hint);
}

export function isHttpError(value: unknown): value is HttpError {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof AgentError) &&
    typeof (value as HttpError).status === 'number' &&
    typeof (value as HttpError).code === 'string'
  );
}
