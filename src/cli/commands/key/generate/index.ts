import type { CommandModule } from 'yargs';
import { KEY_TYPE_NAMES } from '../../../../pkcs11/key-type-names';
import { tokenOptions } from '../token-options';

export const generateCommand: CommandModule = {
  command: 'generate',
  describe: 'generate a sign-only key pair inside the token and print its pkcs11: URI',
  builder: (yargs) =>
    yargs
      .options(tokenOptions)
      .demandOption('token')
      .option('label', {
        type: 'string',
        demandOption: true,
        describe: 'CKA_LABEL of the key (must be free)',
      })
      .option('id', {
        type: 'string',
        describe: 'CKA_ID as hex (must be free); default: 16 random bytes',
      })
      .option('type', {
        choices: KEY_TYPE_NAMES,
        default: 'ec-p256',
        describe: 'key type',
      })
      .example(
        "$0 key generate --token 'pkcs11:token=edge?pin-source=/etc/ra/pin' --label device --type ec-p256",
        'an EC P-256 key in the token "edge"',
      )
      .example(
        "$0 key generate --token 'pkcs11:token=edge' --pkcs11-lib /usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so --label device",
        'a key in the TPM (tpm2-pkcs11)',
      ),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
