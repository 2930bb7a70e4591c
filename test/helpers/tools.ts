import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Fails with the setup step to run when a tool the tests need is missing. */
export function requireTool(path: string, packageName: string): string {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run scripts/setup.sh (installs Debian package ${packageName})`);
  }
  return path;
}

export function run(
  file: string,
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
) {
  return execFileSync(file, args, {
    input: options.input,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
