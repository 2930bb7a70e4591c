import type { Argv } from 'yargs';
import { createCli, helpWidth } from './create-cli';
import { reportError } from './report-error';

/** Runs the CLI and returns the exit code; never lets a stack trace reach the user unless --debug. */
export async function main(argv: readonly string[], prebuilt?: Argv): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    // A parser made ahead (the startup snapshot's) takes this run's arguments and terminal width.
    if (prebuilt) await prebuilt.wrap(helpWidth()).parseAsync([...argv]);
    else await createCli(argv).parseAsync();
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    return reportError(error, debug);
  }
}
