#!/usr/bin/env node
// Builds dist/cli.blob: a V8 startup snapshot of the CLI, which bin/rolesanywhere-agent runs with
// `node --snapshot-blob` so a credential_process call does not compile and evaluate yargs and
// @peculiar/x509 every time. A snapshot only loads in the node binary that built it, and only
// without extra V8 flags: dist/cli.blob.node names that binary (and carries its mtime) so the
// launcher can tell, and falls back to dist/cli.js otherwise. A failed snapshot build is a warning:
// the CLI then always runs from dist/cli.js.
// Usage: node scripts/build-snapshot.mjs (after scripts/build.mjs; build.mjs calls it).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { asciiStringWidth, lazyModules, snapshotCommands } from './startup-plugins.mjs';

const NATIVE = ['pkcs11js'];
/**
 * For the snapshot bundle: dependencies' ES module builds first (esbuild's default for node is
 * CommonJS first). Scope hoisting leaves fewer functions and objects in the snapshot than one
 * wrapper per CommonJS file (1 MB less of @peculiar/x509 and asn1, 4 ms less start-up). Not for
 * the chunked ESM build: there a hoisted ES module (tsyringe) would be evaluated before the
 * CommonJS reflect-metadata its importer loads first. Here every module keeps its import order
 * (esbuild wraps them all), and the warm-up would fail the snapshot build if it did not.
 */
const MAIN_FIELDS = ['module', 'main'];

/** The commands bin/rolesanywhere-agent starts from the snapshot (keep the two lists equal). */
export const SNAPSHOT_COMMANDS = ['credential-process', 'sign-string', 'read-certificate-data', 'version'];

export async function buildSnapshot(root) {
  const dist = join(root, 'dist');
  const bundle = join(dist, 'cli-snapshot.cjs');
  const blob = join(dist, 'cli.blob');
  const stamp = join(dist, 'cli.blob.node');
  for (const file of [blob, stamp]) rmSync(file, { force: true });
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

  try {
    await build({
      absWorkingDir: root,
      entryPoints: ['src/cli/startup/snapshot-entry.ts'],
      outfile: bundle,
      bundle: true,
      // A snapshot entry is one CommonJS script: no chunks, no import.meta.
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      mainFields: MAIN_FIELDS,
      define: {
        __VERSION__: JSON.stringify(version),
        'import.meta.url': 'importMetaUrl',
        'import.meta.filename': 'importMetaFilename',
        'import.meta.dirname': 'importMetaDirname',
      },
      inject: [join(root, 'src/cli/startup/snapshot-runtime.ts')],
      plugins: [asciiStringWidth(root), lazyModules(root, NATIVE), snapshotCommands(root, SNAPSHOT_COMMANDS)],
      // The snapshot holds the bundle's source text, and a run pays for every megabyte of the blob
      // (read, copied and deserialized): minified, it is half the size. keepNames keeps
      // function and class names for messages and --debug stack traces.
      minify: true,
      keepNames: true,
      legalComments: 'none',
      logLevel: 'warning',
    });
  } catch (error) {
    return warn(`bundling failed: ${error.message}`);
  }

  // V8 flags in NODE_OPTIONS would be baked into the blob, which the launcher runs without any.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const tmp = `${blob}.tmp`;
  const made = await withWarmUpPeer((port) =>
    run(process.execPath, ['--snapshot-blob', tmp, '--build-snapshot', bundle], {
      cwd: root,
      env: { ...env, [WARM_UP_PORT]: String(port) },
    }),
  );
  if (made.status !== 0) {
    rmSync(tmp, { force: true });
    const output = made.stderr.split('\n').slice(0, 25).join('\n');
    return warn(`node --build-snapshot exited ${made.status ?? made.signal}:\n${output}`);
  }
  // Node warns here about a built-in it does not support in snapshots (one reached past lazyModules).
  if (made.stderr) process.stderr.write(`note: node --build-snapshot said:\n${made.stderr}`);
  // Prove the blob runs before the launcher may use it.
  const launcher = join(root, 'bin', 'rolesanywhere-agent');
  const check = spawnSync(process.execPath, ['--snapshot-blob', tmp, '--', launcher, 'version'], {
    env,
    encoding: 'utf8',
  });
  if (check.status !== 0 || check.stdout.trim() !== version || check.stderr !== '') {
    rmSync(tmp, { force: true });
    return warn(`the snapshot does not run (exit ${check.status}): ${check.stderr || check.stdout}`);
  }
  writeFileSync(stamp, `${process.execPath}\n`);
  // The stamp takes the node binary's mtime (to the nanosecond): the launcher compares the two
  // with test -nt/-ot, so a node upgraded in place is not fed a snapshot it cannot load.
  execFileSync('touch', ['-r', process.execPath, stamp]);
  // Last: the launcher looks for the blob first, so it never sees one without its stamp.
  renameSync(tmp, blob);
  return true;
}

/** Where the warm-up finds its loopback peer (src/cli/startup/warm-up-socket.ts). */
const WARM_UP_PORT = 'RA_SNAPSHOT_WARM_UP_PORT';

/**
 * Runs `build` while a loopback server answers the warm-up's request (one canned HTTP answer per
 * connection). The peer lives here, outside the snapshot builder, so that only node:net's client
 * code is compiled into the snapshot, not a server's (and the cluster module net.Server loads).
 */
async function withWarmUpPeer(build) {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end('HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}'));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  try {
    return await build(server.address().port);
  } finally {
    server.close();
  }
}

/** spawnSync's result, without blocking this process (the warm-up peer must answer meanwhile). */
function run(file, args, options) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', (error) => resolve({ status: null, signal: null, stderr: error.message }));
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

function warn(message) {
  process.stderr.write(
    `warning: no startup snapshot (the CLI still works, from dist/cli.js, only slower to start): ${message}\n`,
  );
  return false;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildSnapshot(join(dirname(fileURLToPath(import.meta.url)), '..'));
}
