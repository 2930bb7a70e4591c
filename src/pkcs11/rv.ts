import pkcs11js from 'pkcs11js';

const constants = pkcs11js as unknown as Record<string, unknown>;

/** CK_RV values by name, from the pkcs11js constants. */
const RV_NAMES = new Map<number, string>(
  Object.entries(constants)
    .filter((entry): entry is [string, number] => entry[0].startsWith('CKR_') && typeof entry[1] === 'number')
    .map(([name, value]) => [value, name]),
);

const CKR_VENDOR_DEFINED = 0x80000000;

export function rvName(rv: number): string {
  const name = RV_NAMES.get(rv);
  if (name) return name;
  if (rv >= CKR_VENDOR_DEFINED) return `CKR_VENDOR_DEFINED+0x${(rv - CKR_VENDOR_DEFINED).toString(16)}`;
  return `CKR_0x${rv.toString(16)}`;
}

function rv(name: string): number {
  const value = constants[name];
  if (typeof value !== 'number') throw new Error(`pkcs11js has no ${name}`);
  return value;
}

/** What a return value means, in words a user can act on. */
const DESCRIPTIONS: Record<string, string> = {
  CKR_PIN_INCORRECT: 'the pin is incorrect',
  CKR_PIN_LOCKED: 'the user pin is locked',
  CKR_PIN_EXPIRED: 'the pin has expired and must be changed',
  CKR_PIN_LEN_RANGE: 'the pin is too short or too long for this token',
  CKR_PIN_INVALID: 'the pin has characters the token does not accept',
  CKR_USER_PIN_NOT_INITIALIZED: 'the user pin of the token is not initialized',
  CKR_USER_NOT_LOGGED_IN: 'the token session is not logged in',
  CKR_USER_TYPE_INVALID: 'the token refused the login type',
  CKR_DEVICE_REMOVED: 'the token was removed',
  CKR_TOKEN_NOT_PRESENT: 'the token is not present',
  CKR_TOKEN_NOT_RECOGNIZED: 'the token is not recognized by the module',
  CKR_DEVICE_ERROR: 'the token reported a device error',
  CKR_DEVICE_MEMORY: 'the token is out of memory',
  CKR_SESSION_HANDLE_INVALID: 'the token session is no longer valid',
  CKR_SESSION_CLOSED: 'the token session was closed',
  CKR_SESSION_COUNT: 'the token has too many open sessions',
  CKR_SLOT_ID_INVALID: 'the slot no longer exists',
  CKR_OBJECT_HANDLE_INVALID: 'the object no longer exists on the token',
  CKR_KEY_HANDLE_INVALID: 'the key no longer exists on the token',
  CKR_KEY_FUNCTION_NOT_PERMITTED: 'the key is not allowed to sign (CKA_SIGN is false)',
  CKR_KEY_TYPE_INCONSISTENT: 'the key type does not fit the signing mechanism',
  CKR_KEY_SIZE_RANGE: 'the token does not support this key size',
  CKR_MECHANISM_INVALID: 'the token does not support this signing mechanism',
  CKR_MECHANISM_PARAM_INVALID: 'the token refused the mechanism parameters',
  CKR_DATA_LEN_RANGE: 'the data to sign has a length the token refuses',
  CKR_OPERATION_ACTIVE: 'another operation is active on the session',
  CKR_OPERATION_NOT_INITIALIZED: 'the signing operation was not initialized',
  CKR_FUNCTION_NOT_SUPPORTED: 'the module does not support this function',
  CKR_FUNCTION_FAILED: 'the token could not perform the function',
  CKR_GENERAL_ERROR: 'the module reported a general error',
  CKR_HOST_MEMORY: 'the module ran out of memory',
  CKR_ARGUMENTS_BAD: 'the module rejected the arguments',
  CKR_ATTRIBUTE_SENSITIVE: 'the attribute is sensitive and cannot be read',
  CKR_ATTRIBUTE_TYPE_INVALID: 'the object has no such attribute',
  CKR_CRYPTOKI_NOT_INITIALIZED: 'the module is not initialized',
  CKR_CRYPTOKI_ALREADY_INITIALIZED: 'the module is already initialized',
  CKR_CANT_LOCK: 'the module cannot use operating-system locking',
  CKR_TOKEN_WRITE_PROTECTED: 'the token is write-protected',
  CKR_USER_ALREADY_LOGGED_IN: 'the user is already logged in',
  CKR_USER_ANOTHER_ALREADY_LOGGED_IN: 'another user (the security officer) is logged in to the token',
};

export function describeRv(value: number): string {
  const name = rvName(value);
  return DESCRIPTIONS[name] ?? `the module returned ${name}`;
}

/**
 * Return values meaning the token (or our hold on it) went away: sessions, handles or the
 * module state are stale. Worth one reconnect; anything else is not.
 */
const LOST = new Set(
  [
    'CKR_SESSION_HANDLE_INVALID',
    'CKR_SESSION_CLOSED',
    'CKR_DEVICE_REMOVED',
    'CKR_TOKEN_NOT_PRESENT',
    'CKR_TOKEN_NOT_RECOGNIZED',
    'CKR_DEVICE_ERROR',
    'CKR_SLOT_ID_INVALID',
    'CKR_OBJECT_HANDLE_INVALID',
    'CKR_KEY_HANDLE_INVALID',
    'CKR_USER_NOT_LOGGED_IN',
    'CKR_CRYPTOKI_NOT_INITIALIZED',
    'CKR_GENERAL_ERROR',
  ].map(rv),
);

export function isTokenLost(value: number): boolean {
  return LOST.has(value);
}

/** Failures of a session alone (the device may be fine): a plain reconnect can mend them. */
const SESSION_LOST = new Set(
  ['CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_USER_NOT_LOGGED_IN'].map(rv),
);

export function isSessionLost(value: number): boolean {
  return SESSION_LOST.has(value);
}

export const RV = {
  OK: rv('CKR_OK'),
  PIN_INCORRECT: rv('CKR_PIN_INCORRECT'),
  PIN_LOCKED: rv('CKR_PIN_LOCKED'),
  PIN_LEN_RANGE: rv('CKR_PIN_LEN_RANGE'),
  PIN_INVALID: rv('CKR_PIN_INVALID'),
  PIN_EXPIRED: rv('CKR_PIN_EXPIRED'),
  USER_ALREADY_LOGGED_IN: rv('CKR_USER_ALREADY_LOGGED_IN'),
  CRYPTOKI_ALREADY_INITIALIZED: rv('CKR_CRYPTOKI_ALREADY_INITIALIZED'),
  CRYPTOKI_NOT_INITIALIZED: rv('CKR_CRYPTOKI_NOT_INITIALIZED'),
  ATTRIBUTE_TYPE_INVALID: rv('CKR_ATTRIBUTE_TYPE_INVALID'),
  ATTRIBUTE_SENSITIVE: rv('CKR_ATTRIBUTE_SENSITIVE'),
  MECHANISM_INVALID: rv('CKR_MECHANISM_INVALID'),
  USER_NOT_LOGGED_IN: rv('CKR_USER_NOT_LOGGED_IN'),
  SESSION_HANDLE_INVALID: rv('CKR_SESSION_HANDLE_INVALID'),
  SESSION_COUNT: rv('CKR_SESSION_COUNT'),
} as const;
