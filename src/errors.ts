/**
 * The one error type users see. `code` is a stable string that programs and tests match on;
 * `message` is lower case and names what failed (which file, which token, which ARN);
 * `hint` says what the user can do about it. Neither ever contains a PIN or key material.
 */
export class AgentError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isAgentError(value: unknown): value is AgentError {
  return value instanceof AgentError;
}

/** A short description of any thrown value, for wrapping causes into messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
