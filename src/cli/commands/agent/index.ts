import type { CommandModule } from 'yargs';

export const agentCommand: CommandModule = {
  command: 'agent',
  describe: 'run the signing agent: credentials and signatures for local programs over a Unix socket',
  builder: (yargs) =>
    yargs
      .options({
        config: { type: 'string', demandOption: true, describe: 'agent config file (YAML or JSON)' },
        socket: {
          type: 'string',
          describe:
            'Unix socket path (default: /run/rolesanywhere-agent/agent.sock as root, else $XDG_RUNTIME_DIR/rolesanywhere-agent/agent.sock)',
        },
        'audit-log': {
          type: 'string',
          describe: 'append audit records (JSON lines) to this file (default: stderr)',
        },
        'check-config': {
          type: 'boolean',
          default: false,
          describe: 'validate the config, print the result and exit 0/1',
        },
        'log-level': {
          type: 'string',
          choices: ['debug', 'info', 'warn', 'error', 'silent'],
          describe: "log level (default: the config's, else info)",
        },
        pin: { type: 'string', hidden: true, describe: 'refused: never give a PIN on the command line' },
      })
      .example('$0 agent --config /etc/rolesanywhere-agent/agent.yaml', 'run the agent (systemd does this)')
      .example('$0 agent --config agent.yaml --check-config', 'validate a config'),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
