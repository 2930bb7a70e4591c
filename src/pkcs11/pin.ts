import { fileURLToPath } from 'node:url';
import { AgentError } from '../errors';
import { readUserFile } from '../x509/load';
import { canPrompt, promptHidden } from './pin-prompt';
import type { Pkcs11Uri } from './uri';

export const PIN_ENV = 'RA_PKCS11_PIN';

export interface PinSources {
  uri: Pkcs11Uri;
  /** The caller's PIN option (--pin), if any. */
  pin?: string;
  env?: NodeJS.ProcessEnv;
  /** Ask on the terminal when nothing else gives a PIN (default: when stdin and stderr are a TTY). */
  prompt?: boolean;
}

/** The file a pin-source names: a path or a file: URI. Other schemes are refused. */
export function pinSourcePath(source: string): string {
  if (/^file:/i.test(source)) {
    try {
      return fileURLToPath(source);
    } catch {
      throw new AgentError('PKCS11_URI_INVALID', 'invalid pkcs11 uri: pin-source is not a valid file: uri', {
        hint: 'use pin-source=file:///path/to/pin or pin-source=/path/to/pin',
      });
    }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(source) || source.startsWith('|')) {
    throw new AgentError(
      'PKCS11_URI_INVALID',
      'invalid pkcs11 uri: pin-source must be a file path or a file: uri',
      {
        hint: 'put the PIN in a file readable only by the agent (mode 0400) and give pin-source=/path/to/pin',
      },
    );
  }
  return source;
}

/** Reads a PIN file; one trailing newline (as editors and `echo` write it) is not part of the PIN. */
export function readPinFile(path: string): string {
  const text = readUserFile(path, 'pin-source file')
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') {
    throw new AgentError('PIN_REQUIRED', `pin-source file ${path} is empty`, {
      hint: 'write the PIN into the file',
    });
  }
  return text;
}

/**
 * The user PIN for `tokenDescription`, from the first source that has one: the URI's pin-value,
 * its pin-source file, the caller's option, the RA_PKCS11_PIN environment variable, a prompt
 * on the terminal.
 */
export async function resolvePin(sources: PinSources, tokenDescription: string): Promise<string> {
  const { uri } = sources;
  if (uri.pinValue !== undefined) return uri.pinValue;
  if (uri.pinSource !== undefined) return readPinFile(pinSourcePath(uri.pinSource));
  if (sources.pin !== undefined && sources.pin !== '') return sources.pin;
  const fromEnv = (sources.env ?? process.env)[PIN_ENV];
  if (fromEnv) return fromEnv;
  if (sources.prompt ?? canPrompt()) {
    const pin = await promptHidden(`PIN for ${tokenDescription}: `);
    if (pin !== '') return pin;
  }
  throw new AgentError('PIN_REQUIRED', `${tokenDescription} needs a user pin and none was given`, {
    hint: `give it with pin-source=/path/to/pin-file in the URI, the ${PIN_ENV} environment variable, or run on a terminal to be asked`,
  });
}
