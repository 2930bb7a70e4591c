import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The shared credentials file the AWS CLI and SDKs read: $AWS_SHARED_CREDENTIALS_FILE (a leading
 * `~/` expanded, as the SDKs do) or ~/.aws/credentials.
 */
export function credentialsFilePath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const configured = env.AWS_SHARED_CREDENTIALS_FILE;
  if (configured) return configured.startsWith('~/') ? join(home, configured.slice(2)) : configured;
  return join(home, '.aws', 'credentials');
}
