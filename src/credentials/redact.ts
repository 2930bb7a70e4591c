/** What replaces a secret; the same word pino's redaction in src/log.ts uses. */
export const REDACTED = '[redacted]';

/**
 * Key names (lower case, without '_' and '-') whose values are secrets wherever they appear:
 * our own field names, the credential_process / IMDS / ini-file spellings, HTTP headers.
 */
const SECRET_KEYS = new Set([
  'secretaccesskey',
  'awssecretaccesskey',
  'sessiontoken',
  'awssessiontoken',
  'awssecuritytoken',
  'securitytoken',
  'xamzsecuritytoken',
  'token',
  'authorization',
  'pin',
  'pinvalue',
  'password',
  'passphrase',
  'privatekey',
]);

/** Access key ids identify, they do not authenticate: keep the last 4 characters, as `aws configure list` does. */
const ACCESS_KEY_KEYS = new Set(['accesskeyid', 'awsaccesskeyid']);

function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

function maskAccessKeyId(value: unknown): unknown {
  if (typeof value !== 'string') return REDACTED;
  return value.length > 8 ? `${'*'.repeat(value.length - 4)}${value.slice(-4)}` : REDACTED;
}

/**
 * A deep copy of `value` fit for debug logs: secret fields become '[redacted]' at any depth,
 * access key ids keep their last 4 characters. Plain objects and arrays are copied; other
 * objects (Date, Buffer, errors) are returned as they are; cycles are cut.
 */
export function redactCredentials<T>(value: T): T {
  return redact(value, new WeakMap()) as T;
}

function redact(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(redact(item, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, item] of Object.entries(value)) {
    const name = normalize(key);
    if (SECRET_KEYS.has(name)) out[key] = REDACTED;
    else if (ACCESS_KEY_KEYS.has(name)) out[key] = maskAccessKeyId(item);
    else out[key] = redact(item, seen);
  }
  return out;
}
