import type { CommandModule } from 'yargs';
import { keySourceOptions } from '../../options/key-source';
import { sessionOptions } from '../../options/session';

export const updateCommand: CommandModule = {
  command: 'update',
  describe:
    'keep a profile of the AWS shared credentials file ($AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials) fresh',
  builder: (yargs) =>
    yargs
      .options(keySourceOptions)
      .options(sessionOptions)
      .option('profile', {
        type: 'string',
        default: 'default',
        describe: 'profile of the credentials file to write',
      })
      .option('once', {
        type: 'boolean',
        default: false,
        describe: 'write once and exit (default: keep running and refresh ahead of expiry)',
      })
      .example(
        '$0 update --certificate device.crt --private-key device.key --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN --profile edge',
        'refresh profile "edge" until stopped (SIGTERM/SIGINT)',
      )
      .example(
        "$0 update --once --private-key 'pkcs11:token=edge;object=device' --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN",
        'write the default profile once',
      ),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
