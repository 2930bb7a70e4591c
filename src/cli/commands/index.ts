import type { CommandModule } from 'yargs';
import { agentCommand } from './agent';
import { certCommand } from './cert';
import { credentialProcessCommand } from './credential-process';
import { csrCommand } from './csr';
import { keyCommand } from './key';
import { localEndpointCommand } from './local-endpoint';
import { readCertificateDataCommand } from './read-certificate-data';
import { serveCommand } from './serve';
import { signStringCommand } from './sign-string';
import { updateCommand } from './update';
import { versionCommand } from './version';

/** Every command, in help order. Each folder's index holds the flags; its handler loads lazily. */
export const commands: CommandModule[] = [
  credentialProcessCommand,
  updateCommand,
  serveCommand,
  agentCommand,
  signStringCommand,
  readCertificateDataCommand,
  keyCommand,
  csrCommand,
  certCommand,
  localEndpointCommand,
  versionCommand,
];
