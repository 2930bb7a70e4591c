import { AgentError } from '../errors';

/** yargs' own usage errors (unknown flag, missing value) carry this name. */
function isUsageError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'YError';
}

/**
 * Prints `error: …` and `hint: …` on stderr and returns the exit code: 2 for usage errors,
 * 1 for everything else. Stack traces only with --debug.
 */
export function reportError(error: unknown, debug: boolean): number {
  const write = (line: string) => process.stderr.write(`${line}\n`);
  if (isUsageError(error)) {
    write(`error: ${firstLine(error.message)}`);
    write('hint: run rolesanywhere-agent --help, or <command> --help, for the accepted options');
    return 2;
  }
  if (error instanceof AgentError) {
    write(`error: ${firstLine(error.message)}`);
    if (error.hint) write(`hint: ${error.hint}`);
  } else {
    write(`error: ${firstLine(error instanceof Error ? error.message : String(error))}`);
    write('hint: this is unexpected; run again with --debug and report the output');
  }
  if (debug && error instanceof Error && error.stack) write(error.stack);
  return 1;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').trim();
}
