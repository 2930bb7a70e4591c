import yargs, { type Argv } from 'yargs';
import { commands } from './commands';
import { UsageError } from './usage-error';

/** Help text width: this terminal's, at most 110 columns. */
export function helpWidth(): number {
  return Math.min(110, process.stdout.columns ?? 110);
}

/** One parser per call (tests build a fresh one each time); strict, so typos are errors, not surprises. */
export function createCli(argv: readonly string[]): Argv {
  const cli = yargs([...argv])
    .scriptName('rolesanywhere-agent')
    .usage(
      '$0 <command> [options]\n\nAWS IAM Roles Anywhere credentials from a key that never leaves its token.',
    )
    .command(commands)
    .demandCommand(1, 'name a command')
    .option('debug', {
      type: 'boolean',
      default: false,
      describe: 'log what is being done to stderr (never secrets)',
    })
    .strict()
    .recommendCommands()
    .completion('completion', 'print a bash/zsh completion script')
    .version(false)
    .help()
    .alias('h', 'help')
    .wrap(helpWidth())
    .exitProcess(false)
    .fail((message, error) => {
      // yargs calls this both for its own validation (message set) and for errors thrown by handlers.
      throw error ?? new UsageError(message);
    });
  skipHelpCache(cli);
  return cli;
}

interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } };
}

/**
 * Before it runs a command's handler, yargs lays out that command's whole help text and keeps
 * it, for a handler that calls showHelp() on the parser. Ours get argv, not the parser, and
 * --help or a usage error lay the text out afresh: the layout only cost every run (a third of a
 * credential_process call's parsing). If a yargs release renames these internals, nothing is
 * skipped and nothing breaks.
 */
function skipHelpCache(cli: Argv): void {
  const usage = (cli as unknown as YargsInternals).getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}
