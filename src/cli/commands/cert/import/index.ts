import type { CommandModule } from 'yargs';
import { tokenOptions } from '../../key/token-options';

export const importCommand: CommandModule = {
  command: 'import',
  describe:
    'store the certificate issued for a token key (and its CA chain) on the token, after checking it matches',
  builder: (yargs) =>
    yargs
      .options(tokenOptions)
      .demandOption('token')
      .option('label', {
        type: 'string',
        demandOption: true,
        describe: 'label of the key the certificate is for',
      })
      .option('certificate', {
        type: 'string',
        demandOption: true,
        describe: 'the certificate (PEM or DER file)',
      })
      .option('chain', {
        type: 'string',
        describe: 'PEM bundle of the CA certificates above it (intermediates, root)',
      })
      .option('id', { type: 'string', describe: "the key's CKA_ID as hex, when the label is not enough" })
      .example(
        "$0 cert import --token 'pkcs11:token=edge?pin-source=/etc/ra/pin' --label device --certificate device.crt --chain ca-chain.pem",
        'store a certificate beside the key "device"',
      ),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
