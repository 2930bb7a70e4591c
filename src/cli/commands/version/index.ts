import type { CommandModule } from 'yargs';
import { VERSION } from '../../../version';

export const versionCommand: CommandModule = {
  command: 'version',
  describe: 'print the version',
  handler: () => {
    process.stdout.write(`${VERSION}\n`);
  },
};
