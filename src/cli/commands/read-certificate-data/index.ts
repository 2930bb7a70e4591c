import type { CommandModule } from 'yargs';
import { keySourceOptions } from '../../options/key-source';

export const readCertificateDataCommand: CommandModule = {
  command: 'read-certificate-data',
  describe: "print the certificate's key type, DER (base64), serial and supported digests as JSON",
  builder: (yargs) =>
    yargs
      .options(keySourceOptions)
      .example('$0 read-certificate-data --certificate device.crt', 'a certificate file')
      .example(
        "$0 read-certificate-data --certificate 'pkcs11:token=edge;object=device'",
        'the certificate on a token',
      ),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
