import type { CommandModule } from 'yargs';
import { agentSourceCheck, agentSourceOptions, sessionOptionsUnlessAgent } from '../../options/agent-source';
import { keySourceOptions } from '../../options/key-source';

export const credentialProcessCommand: CommandModule = {
  command: 'credential-process',
  describe: 'print temporary credentials as credential_process JSON (for ~/.aws/config)',
  builder: (yargs) =>
    yargs
      .options(keySourceOptions)
      .options(sessionOptionsUnlessAgent)
      .options(agentSourceOptions)
      .check(agentSourceCheck)
      .example(
        '$0 credential-process --certificate /etc/pki/edge/server.crt --private-key /etc/pki/edge/server.key --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN',
        'key files',
      )
      .example(
        "$0 credential-process --private-key 'pkcs11:token=edge;object=device?pin-source=/etc/edge/pin' --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN",
        'a key on a token, certificate read from the token',
      )
      .example('$0 credential-process --agent --profile edge', "credentials from the running agent's cache"),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
