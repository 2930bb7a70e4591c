import { AgentError } from '../errors';
import { UsageError } from './usage-error';

/**
 * Prints `error: …` and `hint: …` on stderr and returns the exit code: 2 for usage errors,
 * 1 for everything else. Stack traces only with --debug.
 */
export function reportError(error: unknown, debug: boolean): number {
  const write = (line: string) => process.stderr.write(`${line}\n`);
  if (error instanceof UsageError) {
    // yargs spreads one complaint over several lines ("Invalid values:\n  Argument: ..."): fold it.
    const folded = error.message.replace(/\s*\n\s*/g, ' ').trim();
    write(`error: ${folded.charAt(0).toLowerCase()}${folded.slice(1)}`);
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
