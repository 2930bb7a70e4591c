import type { CommandModule } from 'yargs';
import { keySourceOptions } from '../../options/key-source';

export const signStringCommand: CommandModule = {
  command: 'sign-string',
  describe: 'sign data from stdin (or a fixed test string) with the key, to check a key without AWS',
  builder: (yargs) =>
    yargs
      .options(keySourceOptions)
      .option('format', {
        choices: ['json', 'text', 'bin'] as const,
        default: 'json',
        describe: 'output format',
      })
      .option('digest', {
        choices: ['SHA256', 'SHA384', 'SHA512'] as const,
        default: 'SHA256',
        describe: 'digest to sign with',
      })
      .example(
        '$0 sign-string --certificate device.crt --private-key device.key --format text',
        'sign the test string with key files',
      )
      .example(
        "echo -n hello | $0 sign-string --private-key 'pkcs11:token=edge;object=device' --digest SHA384",
        'sign stdin with a key on a token',
      ),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
