import { createCli } from './create-cli';
import { reportError } from './report-error';

/** Runs the CLI and returns the exit code; never lets a stack trace reach the user unless --debug. */
export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    await createCli(argv).parseAsync();
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    return reportError(error, debug);
  }
}
