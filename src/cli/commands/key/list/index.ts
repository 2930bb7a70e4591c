import type { CommandModule } from 'yargs';
import { tokenOptions } from '../token-options';

export const listCommand: CommandModule = {
  command: 'list',
  describe: 'list the keys and certificates of a token (or of every token) with their pkcs11: URIs',
  builder: (yargs) =>
    yargs
      .options(tokenOptions)
      .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of a table' })
      .example(
        "$0 key list --token 'pkcs11:token=edge?pin-source=/etc/ra/pin'",
        'one token, private keys included',
      )
      .example('$0 key list --pkcs11-lib /usr/lib/softhsm/libsofthsm2.so --json', 'every token of a module'),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
