// esbuild plugins for a short CLI start-up (used by scripts/build.mjs and scripts/build-snapshot.mjs).
import { createRequire, isBuiltin } from 'node:module';
import { join, relative } from 'node:path';

/**
 * Puts src/cli/startup/ascii-width.ts in front of every `string-width` import (yargs' help layout
 * has three copies): printable ASCII is measured by length and the real module, which makes an
 * Intl.Segmenter on load (slow, and it cannot go into a V8 startup snapshot), loads on first need.
 */
export function asciiStringWidth(root) {
  const shim = join(root, 'src/cli/startup/ascii-width.ts');
  return {
    name: 'ascii-string-width',
    setup(build) {
      build.onResolve({ filter: /^string-width$/ }, async (args) => {
        if (args.pluginData === 'real') return undefined;
        const real = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'real',
        });
        if (real.errors.length > 0) return { errors: real.errors };
        return { path: real.path, namespace: 'ascii-string-width' };
      });
      build.onLoad({ filter: /.*/, namespace: 'ascii-string-width' }, (args) => ({
        contents: [
          `import { asciiFastWidth } from ${JSON.stringify(shim)};`,
          `export default asciiFastWidth(() => require(${JSON.stringify(args.path)}).default);`,
        ].join('\n'),
        loader: 'js',
        resolveDir: root,
      }));
    },
  };
}

// Built-ins Node 20 lets a user snapshot load while it is built (lib/internal/main/mksnapshot.js,
// supportedModules); every other one is replaced by a stand-in that loads it on first use.
const SNAPSHOT_BUILTINS = new Set([
  '_stream_duplex',
  '_stream_passthrough',
  '_stream_readable',
  '_stream_transform',
  '_stream_wrap',
  '_stream_writable',
  'assert',
  'assert/strict',
  'buffer',
  'console',
  'constants',
  'crypto',
  'diagnostics_channel',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'net',
  'os',
  'path',
  'path/posix',
  'path/win32',
  'process',
  'punycode',
  'querystring',
  'stream',
  'stream/promises',
  'string_decoder',
  'sys',
  'timers',
  'timers/promises',
  'url',
  'util',
  'util/types',
  'v8',
  'zlib',
]);

/**
 * For the snapshot bundle: built-ins outside SNAPSHOT_BUILTINS and the native addons `native`
 * become stand-ins that load on first use (lazyModule in src/cli/startup/snapshot-runtime.ts),
 * the addons relative to where the CLI runs then. Export names and the addons' constants are
 * read here, at build time, so that evaluating an importer does not load the module.
 */
export function lazyModules(root, native) {
  const helpers = JSON.stringify(join(root, 'src/cli/startup/snapshot-runtime.ts'));
  const requireHere = createRequire(join(root, 'package.json'));
  return {
    name: 'lazy-modules',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
        const id = args.path.replace(/^node:/, '');
        if (!isBuiltin(id) || SNAPSHOT_BUILTINS.has(id)) return undefined;
        return { path: `node:${id}`, namespace: 'lazy-builtin' };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
        const names = Object.getOwnPropertyNames(process.getBuiltinModule(args.path));
        const load = `() => process.getBuiltinModule(${JSON.stringify(args.path)})`;
        return lazyModuleSource(helpers, load, names, {}, root);
      });
      for (const id of native) {
        const filter = new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
        build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'lazy-native' }));
      }
      build.onLoad({ filter: /.*/, namespace: 'lazy-native' }, (args) => {
        const addon = requireHere(args.path);
        const names = Object.getOwnPropertyNames(addon);
        const constants = Object.fromEntries(
          names
            .filter((name) => ['number', 'string'].includes(typeof addon[name]))
            .map((name) => [name, addon[name]]),
        );
        const load = `() => runtimeRequire(${JSON.stringify(args.path)})`;
        return lazyModuleSource(helpers, load, names, constants, root);
      });
    },
  };
}

function lazyModuleSource(helpers, load, names, constants, resolveDir) {
  return {
    contents: [
      `import { lazyModule, runtimeRequire } from ${helpers};`,
      `module.exports = lazyModule(${load}, ${JSON.stringify(names)}, ${JSON.stringify(constants)});`,
    ].join('\n'),
    loader: 'js',
    resolveDir,
  };
}

/**
 * For the snapshot bundle: the handlers of commands outside `keep` (paths under src/cli/commands)
 * become stubs. Every function of a bundled module is an object in the snapshot, evaluated or
 * not, and each one costs start-up time; the launcher sends only the `keep` commands to the
 * snapshot, so the long-running ones (serve, update, local-endpoint...) are left out of it.
 */
export function snapshotCommands(root, keep) {
  const commands = join(root, 'src/cli/commands');
  const errors = JSON.stringify(join(root, 'src/errors.ts'));
  return {
    name: 'snapshot-commands',
    setup(build) {
      build.onResolve({ filter: /^\.\/handler$/ }, (args) => {
        const command = relative(commands, args.resolveDir);
        if (command.startsWith('..') || keep.includes(command)) return undefined;
        return { path: command, namespace: 'snapshot-stub' };
      });
      build.onLoad({ filter: /.*/, namespace: 'snapshot-stub' }, (args) => ({
        contents: [
          `import { AgentError } from ${errors};`,
          'export async function run() {',
          `  throw new AgentError('NOT_IN_SNAPSHOT', ${JSON.stringify(`the ${args.path.replace('/', ' ')} command does not run from the startup snapshot`)}, {`,
          "    hint: 'run it through bin/rolesanywhere-agent, which starts it from dist/cli.js',",
          '  });',
          '}',
        ].join('\n'),
        loader: 'js',
        resolveDir: root,
      }));
    },
  };
}
