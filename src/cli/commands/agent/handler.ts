import type { AgentConfig } from '../../../agent/config-types';
import { AgentError } from '../../../errors';

export interface AgentArgs {
  config: string;
  socket?: string;
  auditLog?: string;
  checkConfig: boolean;
  logLevel?: AgentConfig['logLevel'];
  debug?: boolean;
  pin?: string;
}

export async function run(args: AgentArgs): Promise<void> {
  if (args.pin !== undefined) {
    throw new AgentError(
      'PIN_ON_COMMAND_LINE',
      'refusing a PIN on the command line: any local user can read it in /proc and ps',
      {
        hint: 'use pin-source=FILE in the pkcs11 URI, a systemd credential (LoadCredential=pin:...), or RA_PKCS11_PIN',
      },
    );
  }
  const { runAgent } = await import('../../../agent/run-agent');
  process.exitCode = await runAgent({
    config: args.config,
    checkConfig: args.checkConfig,
    ...(args.socket === undefined ? {} : { socket: args.socket }),
    ...(args.auditLog === undefined ? {} : { auditLog: args.auditLog }),
    ...(args.logLevel === undefined
      ? args.debug
        ? { logLevel: 'debug' as const }
        : {}
      : { logLevel: args.logLevel }),
  });
}
