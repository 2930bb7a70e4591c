// The agent as its own process, as systemd runs it: the built CLI (bin/rolesanywhere-agent),
// and for the fail-closed case an install of the same build that lacks the native addon.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, waitFor } from './agent-fixture';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLI = join(ROOT, 'bin', 'rolesanywhere-agent');

let installWithoutNative: string | undefined;

/** Deletes the copy made by cliWithoutNative (call from afterAll). */
export function removeAgentEntry(): void {
  if (installWithoutNative) rmSync(installWithoutNative, { recursive: true, force: true });
  installWithoutNative = undefined;
}

/** The built CLI users run. */
export async function agentEntry(): Promise<string> {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
    throw new Error('dist/cli.js is missing: run npm run build (scripts/setup.sh does it)');
  }
  return CLI;
}

/**
 * The same build installed where no native-bindings/ directory exists (as after a failed
 * native build): the agent must refuse to start rather than serve clients it cannot identify.
 */
export async function cliWithoutNative(): Promise<string> {
  if (!installWithoutNative) {
    await agentEntry();
    const dir = mkdtempSync(join(tmpdir(), 'ra-no-native-'));
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    installWithoutNative = dir;
  }
  return join(installWithoutNative, 'bin', 'rolesanywhere-agent');
}

export interface AgentProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `node <entry> ...args` (or `command` wrapping it); output is collected. */
export async function spawnEntry(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    wrap?: (node: string, entry: string) => [string, string[]];
    entry?: string;
  } = {},
): Promise<AgentProcess> {
  const entry = options.entry ?? (await agentEntry());
  const [file, argv] = options.wrap ? options.wrap(process.execPath, entry) : [process.execPath, [entry]];
  const child = spawn(file, [...argv, ...args], {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => Buffer.concat(out).toString(),
    stderr: () => Buffer.concat(err).toString(),
    exited,
  };
}

/** Waits until the agent process answers GET /v1/health with 200 on `socket` (its stderr in the failure). */
export async function waitUntilHealthy(
  agent: AgentProcess,
  socket: string,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(
    async () =>
      existsSync(socket) &&
      (await request(socket, 'GET', '/v1/health').then(
        (reply) => reply.status === 200,
        () => false,
      )),
    timeoutMs,
    `agent on ${socket} (stderr: ${agent.stderr().slice(-500)})`,
  );
}

/** Runs the entry to completion. */
export async function runEntry(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; entry?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await spawnEntry(args, options);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Resident memory of a process in KiB (VmRSS). */
export function rssKib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN);
}

export function socketExists(path: string): boolean {
  return existsSync(path);
}
