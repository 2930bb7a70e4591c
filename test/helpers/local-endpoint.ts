import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CLI } from './cli';

export interface Started {
  child: ChildProcessByStdio<null, Readable, Readable>;
  firstLine: string;
  info: {
    endpoint: string;
    stateDir: string;
    auditLog: string;
    caBundle?: string;
    trustAnchors: { arn: string }[];
    profiles: { arn: string }[];
    roles: { arn: string }[];
  };
  stderr: () => string;
}

/** Starts the command and waits for its first line and the one JSON document after it. */
export function startLocalEndpoint(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'local-endpoint', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no JSON within 30 s; stderr: ${stderr}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`local-endpoint exited with ${code}: ${stderr}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      try {
        const info = JSON.parse(stdout.slice(newline + 1));
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, firstLine: stdout.slice(0, newline), info, stderr: () => stderr });
      } catch {
        // the JSON document is not complete yet
      }
    });
  });
}

export function stopProcess(started: Started, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => resolve(code));
    started.child.kill(signal);
  });
}
