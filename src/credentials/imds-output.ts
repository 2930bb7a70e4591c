import { checkCredentials } from './check-credentials';
import { isoSeconds } from './iso-seconds';
import type { Credentials } from './types';

/** The body of GET /latest/meta-data/iam/security-credentials/<role>, as EC2's IMDS sends it. */
export interface ImdsOutput {
  Code: 'Success';
  LastUpdated: string;
  Type: 'AWS-HMAC';
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  Expiration: string;
}

/** `lastUpdated`: when these credentials were obtained (the cache's fetch time). */
export function toImdsOutput(credentials: Credentials, lastUpdated: Date): ImdsOutput {
  const checked = checkCredentials(credentials, 'the metadata endpoint');
  return {
    Code: 'Success',
    LastUpdated: isoSeconds(lastUpdated),
    Type: 'AWS-HMAC',
    AccessKeyId: checked.accessKeyId,
    SecretAccessKey: checked.secretAccessKey,
    Token: checked.sessionToken,
    Expiration: isoSeconds(checked.expiration),
  };
}

export function formatImdsOutput(credentials: Credentials, lastUpdated: Date): string {
  return JSON.stringify(toImdsOutput(credentials, lastUpdated));
}
