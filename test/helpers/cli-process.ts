import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT } from './cli';

/** A long-running CLI command (serve, update) as a real child process the test can watch and signal. */
export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stdout or stderr text matching `pattern`; rejects after `timeoutMs` or on exit. */
  waitFor: (stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal`, then SIGKILL if the process is still there after `graceMs`. */
  stop: (
    signal?: NodeJS.Signals,
    graceMs?: number,
  ) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): CliProcess {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
    throw new Error('dist/cli.js is missing: run npm run build (scripts/setup.sh does it)');
  }
  const child = spawn(process.execPath, [CLI, ...args], { env: options.env ?? process.env, stdio: 'pipe' });
  child.stdin.end();
  const text = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout.on('data', (chunk: Buffer) => {
    text.stdout += chunk.toString();
    notify();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    text.stderr += chunk.toString();
    notify();
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      done = true;
      notify();
      resolve({ code, signal });
    });
  });

  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = text[stream].match(pattern);
        if (match) {
          finish();
          resolve(match);
        } else if (done) {
          finish();
          reject(new Error(`process exited before ${stream} matched ${pattern}; stderr: ${text.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${stream} did not match ${pattern} in ${timeoutMs} ms; stderr: ${text.stderr}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) => {
    if (!done) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };

  return { child, stdout: () => text.stdout, stderr: () => text.stderr, waitFor, exited, stop };
}
