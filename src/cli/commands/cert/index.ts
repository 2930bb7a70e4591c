import type { CommandModule } from 'yargs';
import { importCommand } from './import';

export const certCommand: CommandModule = {
  command: 'cert',
  describe: 'store certificates on a token beside their key',
  builder: (yargs) => yargs.command([importCommand]).demandCommand(1, 'name a cert command: import'),
  handler: () => {},
};
