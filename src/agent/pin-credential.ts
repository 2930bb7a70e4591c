import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors';
import { readPinFile } from '../pkcs11/pin';

/** The credential name the packaged unit loads the PIN as (LoadCredential=pin:/etc/rolesanywhere-agent/pin). */
export const DEFAULT_PIN_CREDENTIAL = 'pin';

/**
 * The PIN systemd handed over as a credential ($CREDENTIALS_DIRECTORY/<name>): the named one
 * (an error when missing), else "pin" when present, else undefined (the URI's pin-source or
 * RA_PKCS11_PIN then apply). The PIN is read when the key is opened, never stored in config.
 */
export function systemdCredentialPin(
  name: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (name !== undefined) {
    if (!dir) {
      throw new AgentError(
        'PIN_REQUIRED',
        `pinCredential "${name}" is set but the agent was not given systemd credentials`,
        {
          hint: `add LoadCredential=${name}:/etc/rolesanywhere-agent/pin to the service (CREDENTIALS_DIRECTORY is unset)`,
        },
      );
    }
    const path = join(dir, name);
    if (!existsSync(path)) {
      throw new AgentError('PIN_REQUIRED', `systemd credential "${name}" is missing from ${dir}`, {
        hint: `add LoadCredential=${name}:/etc/rolesanywhere-agent/pin to the service`,
      });
    }
    return readPinFile(path);
  }
  if (!dir) return undefined;
  const path = join(dir, DEFAULT_PIN_CREDENTIAL);
  return existsSync(path) ? readPinFile(path) : undefined;
}
