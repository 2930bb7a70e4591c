// Bundles the library and the CLI with esbuild (start-up loads one file plus the chunk a command
// needs), emits the library's type declarations with tsc, then builds the CLI's startup snapshot
// (dist/cli.blob, scripts/build-snapshot.mjs), which bin/rolesanywhere-agent runs when it can.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildSnapshot } from './build-snapshot.mjs';
import { asciiStringWidth } from './startup-plugins.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(join(root, 'dist'), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons cannot be bundled; they are loaded from node_modules at run time.
  external: ['pkcs11js'],
  plugins: [asciiStringWidth(root)],
  define: { __VERSION__: JSON.stringify(version) },
  // Bundled CommonJS dependencies call require() for node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});

// Declarations for the library's users, with the project's own compiler settings (tsconfig.build.json).
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});

await buildSnapshot(root);
