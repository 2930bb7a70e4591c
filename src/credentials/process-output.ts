import { checkCredentials } from './check-credentials';
import { isoSeconds } from './iso-seconds';
import type { Credentials } from './types';

/** The credential_process document AWS SDKs and the CLI read from stdout (field order as AWS's). */
export interface ProcessOutput {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

export function toProcessOutput(credentials: Credentials): ProcessOutput {
  const checked = checkCredentials(credentials, 'credential-process');
  return {
    Version: 1,
    AccessKeyId: checked.accessKeyId,
    SecretAccessKey: checked.secretAccessKey,
    SessionToken: checked.sessionToken,
    Expiration: isoSeconds(checked.expiration),
  };
}

/** The exact stdout text of `credential-process`: one JSON line. */
export function formatProcessOutput(credentials: Credentials): string {
  return `${JSON.stringify(toProcessOutput(credentials))}\n`;
}
