import type { CommandModule } from 'yargs';
import { generateCommand } from './generate';
import { listCommand } from './list';

export const keyCommand: CommandModule = {
  command: 'key',
  describe: 'make keys inside a token (TPM, HSM) and list what a token holds',
  builder: (yargs) =>
    yargs.command([generateCommand, listCommand]).demandCommand(1, 'name a key command: generate or list'),
  handler: () => {},
};
