import pino, { type Logger } from 'pino';

/**
 * Field names that may hold secrets anywhere in a log object. pino replaces them before
 * serialization, so a careless `log.debug({ credentials })` still prints nothing secret.
 */
export const REDACTED_PATHS = [
  'pin',
  '*.pin',
  'password',
  '*.password',
  'secretAccessKey',
  '*.secretAccessKey',
  'SecretAccessKey',
  '*.SecretAccessKey',
  'sessionToken',
  '*.sessionToken',
  'SessionToken',
  '*.SessionToken',
  'Token',
  '*.Token',
  'privateKey',
  '*.privateKey',
  'headers.authorization',
  'headers["x-amz-security-token"]',
];

/** JSON lines on stderr (stdout belongs to the command's output). Silent unless asked. */
export function createLogger(
  options: { level?: 'debug' | 'info' | 'warn' | 'error' | 'silent'; name?: string } = {},
): Logger {
  return pino(
    {
      name: options.name ?? 'rolesanywhere-agent',
      level: options.level ?? 'silent',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
