import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { Pkcs11Error, rvOf, toPkcs11Error } from './error';
import type { Pkcs11Api } from './module';
import { RV } from './rv';
import { describeToken, type SlotToken } from './token-select';

/**
 * PINs a token refused in this process, kept as salted hashes: the same wrong PIN is never
 * sent twice, because each wrong try brings the token closer to locking itself.
 */
const refused = new Set<string>();

function fingerprint(identity: string, pin: string): string {
  return createHash('sha256').update(identity).update('\0').update(pin).digest('hex');
}

const PIN_HINT =
  'check the PIN given by pin-value / pin-source, --pin or RA_PKCS11_PIN; every wrong try counts towards locking the token';
const LOCKED_HINT =
  'the token administrator must unlock it with the security officer PIN (e.g. pkcs11-tool --login --login-type so --init-pin)';

function tokenFlags(api: Pkcs11Api, token: SlotToken): number {
  try {
    return api.C_GetTokenInfo(token.slot).flags;
  } catch {
    return token.flags;
  }
}

/** What the token says about the remaining PIN tries, for the message after a refusal. */
export function pinCounterState(flags: number): 'locked' | 'final try' | 'low' | undefined {
  if (flags & pkcs11js.CKF_USER_PIN_LOCKED) return 'locked';
  if (flags & pkcs11js.CKF_USER_PIN_FINAL_TRY) return 'final try';
  if (flags & pkcs11js.CKF_USER_PIN_COUNT_LOW) return 'low';
  return undefined;
}

function lockedError(token: SlotToken, fn: string, rv: number, detail: string): Pkcs11Error {
  return new Pkcs11Error('PIN_LOCKED', `the user pin of ${describeToken(token)} is locked; ${detail}`, {
    rv,
    fn,
    hint: LOCKED_HINT,
  });
}

function incorrectError(api: Pkcs11Api, token: SlotToken, rv: number, cause: unknown): Pkcs11Error {
  const state = pinCounterState(tokenFlags(api, token));
  const base = `the pin for ${describeToken(token)} is incorrect`;
  if (state === 'locked')
    return lockedError(token, 'C_Login', rv, 'the token locked it after this wrong pin');
  const counter =
    state === 'final try'
      ? '; the token reports one try left before it locks (final try)'
      : state === 'low'
        ? '; the token reports few tries left (pin count low)'
        : '';
  return new Pkcs11Error('PIN_INCORRECT', `${base} (it was tried once and is not retried)${counter}`, {
    rv,
    fn: 'C_Login',
    hint: PIN_HINT,
    cause,
  });
}

/**
 * C_Login as the user (or CKU_CONTEXT_SPECIFIC before one signature). A locked PIN is not
 * tried; a wrong PIN is tried once, remembered and never sent again; "already logged in" is fine.
 */
export function login(
  api: Pkcs11Api,
  session: Buffer,
  token: SlotToken,
  identity: string,
  pin: string,
  context = false,
): void {
  if (!context && tokenFlags(api, token) & pkcs11js.CKF_USER_PIN_LOCKED) {
    throw lockedError(token, 'C_GetTokenInfo', RV.PIN_LOCKED, 'no login was tried');
  }
  const key = fingerprint(identity, pin);
  if (refused.has(key)) {
    throw new Pkcs11Error(
      'PIN_INCORRECT',
      `the pin for ${describeToken(token)} was already refused by the token; it is not tried again`,
      {
        rv: RV.PIN_INCORRECT,
        fn: 'C_Login',
        hint: PIN_HINT,
      },
    );
  }
  try {
    api.C_Login(session, context ? pkcs11js.CKU_CONTEXT_SPECIFIC : pkcs11js.CKU_USER, pin);
  } catch (error) {
    const rv = rvOf(error);
    if (rv === RV.USER_ALREADY_LOGGED_IN) return;
    if (rv === RV.PIN_INCORRECT || rv === RV.PIN_LEN_RANGE || rv === RV.PIN_INVALID) {
      refused.add(key);
      throw incorrectError(api, token, rv, error);
    }
    if (rv === RV.PIN_LOCKED) throw lockedError(token, 'C_Login', rv, 'the token refused the login');
    if (rv === RV.PIN_EXPIRED) {
      throw new Pkcs11Error('PIN_EXPIRED', `the user pin of ${describeToken(token)} has expired`, {
        rv,
        fn: 'C_Login',
        hint: 'change the PIN with the token tools (e.g. pkcs11-tool --change-pin), then try again',
      });
    }
    throw toPkcs11Error(error, 'C_Login', `cannot log in to ${describeToken(token)}`);
  }
}

/** C_Logout, ignoring failures: the session may be gone already. */
export function logout(api: Pkcs11Api, session: Buffer): void {
  try {
    api.C_Logout(session);
  } catch {
    // Nothing to undo.
  }
}
