import type { Options } from 'yargs';
import { AgentError } from '../../../errors';

/** The token and module flags of the key-management commands (key, cert). */
export const tokenOptions = {
  token: {
    type: 'string',
    describe:
      'pkcs11: URI of the token, e.g. "pkcs11:token=edge?pin-source=/etc/ra/pin" (module-path= and pin-source= are honoured)',
  },
  'pkcs11-lib': { type: 'string', describe: 'PKCS#11 module to load (default: p11-kit-proxy)' },
} as const satisfies Record<string, Options>;

export interface TokenArgs {
  token?: string;
  pkcs11Lib?: string;
  debug?: boolean;
}

/** --token names a token, not an object: object=, id= and type= belong to --label / --id. */
export function assertTokenUri(text: string): void {
  const path = text.split('?')[0] ?? '';
  const named = path
    .slice('pkcs11:'.length)
    .split(';')
    .map((item) => item.split('=')[0])
    .filter((name) => name === 'object' || name === 'id' || name === 'type');
  if (named.length > 0) {
    throw new AgentError(
      'PKCS11_URI_INVALID',
      `--token names a token, but the uri has ${named.map((name) => `${name}=`).join(', ')}`,
      {
        hint: 'give the token part only (token=, serial=, module-path=, pin-source=) and the key with --label / --id',
      },
    );
  }
}
