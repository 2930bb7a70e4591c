import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export const SRC = join(import.meta.dirname, '..', '..', '..', 'src');

/**
 * Runs `script` (TypeScript, may import from SRC by absolute path) in a fresh Node process,
 * bundled by esbuild: for what only another process can show (an exit that a timer would
 * delay, a file-size limit set with ulimit). `shellPrefix` runs before exec, e.g. 'ulimit -f 8'.
 */
export async function runBundled(
  dir: string,
  script: string,
  options: { shellPrefix?: string; timeoutMs?: number } = {},
): Promise<{ status: number | null; stdout: string; stderr: string; elapsedMs: number }> {
  const entry = join(dir, 'entry.ts');
  const out = join(dir, 'entry.mjs');
  writeFileSync(entry, script);
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  const command = `${options.shellPrefix ?? ':'}; exec "${process.execPath}" "${out}"`;
  const started = Date.now();
  const result = spawnSync('/bin/sh', ['-c', command], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 20_000,
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    elapsedMs: Date.now() - started,
  };
}
