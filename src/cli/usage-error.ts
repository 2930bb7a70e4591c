/** A command line yargs refused (unknown flag, bad choice, missing value): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
