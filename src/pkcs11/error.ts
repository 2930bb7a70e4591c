import { AgentError } from '../errors';
import { describeRv, isTokenLost, rvName } from './rv';

/** A PKCS#11 call that failed: which call (`fn`), the CK_RV (`rv`) and its name (`rvName`). */
export class Pkcs11Error extends AgentError {
  readonly rv: number;
  readonly rvName: string;
  readonly fn: string;

  constructor(
    code: string,
    message: string,
    options: { rv: number; fn: string; hint?: string; cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'Pkcs11Error';
    this.rv = options.rv;
    this.rvName = rvName(options.rv);
    this.fn = options.fn;
  }
}

/** The CK_RV of an error thrown by pkcs11js, or undefined for any other error. */
export function rvOf(error: unknown): number | undefined {
  if (error instanceof Pkcs11Error) return error.rv;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return error.name === 'Pkcs11Error' && typeof code === 'number' ? code : undefined;
}

const DEFAULT_HINTS: Record<string, string> = {
  TOKEN_UNAVAILABLE:
    'check that the token is plugged in and its module (PKCS#11 library) sees it, e.g. with `pkcs11-tool --module <lib> --list-slots`',
  PKCS11_ERROR:
    'run with --debug for details; check the token with `pkcs11-tool --module <lib> --list-objects`',
};

/**
 * Turns an error thrown by a pkcs11js call into a Pkcs11Error whose message says what we were
 * doing (`context`, e.g. 'cannot sign with key "device" on token "hsm1"') and what the rv means.
 * Errors that are not PKCS#11 errors come back unchanged.
 */
export function toPkcs11Error(
  error: unknown,
  fn: string,
  context: string,
  options: { code?: string; hint?: string } = {},
): unknown {
  if (error instanceof AgentError) return error;
  const rv = rvOf(error);
  if (rv === undefined) return error;
  const code = options.code ?? (isTokenLost(rv) ? 'TOKEN_UNAVAILABLE' : 'PKCS11_ERROR');
  return new Pkcs11Error(code, `${context}: ${describeRv(rv)} (${rvName(rv)} from ${fn})`, {
    rv,
    fn,
    hint: options.hint ?? DEFAULT_HINTS[code] ?? DEFAULT_HINTS.PKCS11_ERROR,
    cause: error,
  });
}

/** Runs one synchronous pkcs11js call, rethrowing its failure as a Pkcs11Error. */
export function call<T>(fn: string, context: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw toPkcs11Error(error, fn, context);
  }
}
