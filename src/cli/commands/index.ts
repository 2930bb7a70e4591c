import type { CommandModule } from 'yargs';
import { credentialProcessCommand } from './credential-process';
import { localEndpointCommand } from './local-endpoint';
import { readCertificateDataCommand } from './read-certificate-data';
import { signStringCommand } from './sign-string';
import { versionCommand } from './version';

/** Every command, in help order. Each folder's index holds the flags; its handler loads lazily. */
export const commands: CommandModule[] = [
  credentialProcessCommand,
  signStringCommand,
  readCertificateDataCommand,
  localEndpointCommand,
  versionCommand,
];
