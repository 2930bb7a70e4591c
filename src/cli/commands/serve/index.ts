import type { CommandModule } from 'yargs';
import { keySourceOptions } from '../../options/key-source';
import { sessionOptions } from '../../options/session';

export const serveCommand: CommandModule = {
  command: 'serve',
  describe:
    'serve the credentials on an IMDSv2-compatible endpoint (set AWS_EC2_METADATA_SERVICE_ENDPOINT to its URL)',
  builder: (yargs) =>
    yargs
      .options(keySourceOptions)
      .options(sessionOptions)
      .option('port', { type: 'number', default: 9911, describe: 'TCP port (0: any free port)' })
      .option('bind', {
        type: 'string',
        default: '127.0.0.1',
        describe: 'address to listen on, IPv4 or IPv6 (e.g. ::1); non-loopback needs --allow-remote',
      })
      .option('allow-remote', {
        type: 'boolean',
        default: false,
        describe: 'allow a non-loopback --bind: every host that reaches it can take the role',
      })
      .option('hop-limit', {
        type: 'number',
        default: 64,
        describe:
          'IP TTL / IPv6 hop limit of every response (1 keeps credentials on this host and directly attached containers)',
      })
      .example(
        '$0 serve --certificate device.crt --private-key device.key --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN',
        'serve on http://127.0.0.1:9911',
      )
      .example(
        "$0 serve --bind ::1 --port 0 --private-key 'pkcs11:token=edge;object=device' --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN",
        'serve on IPv6 loopback, any free port (printed on stdout)',
      ),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
