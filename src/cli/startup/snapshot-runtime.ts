// What the snapshot bundle (scripts/build-snapshot.mjs) puts in place of import.meta, of native
// addons and of the built-ins a snapshot cannot hold. A snapshot is built in one place and may
// run from another: locations are set when the process starts (setLocation), not when it is built.
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

/** import.meta.url, .filename and .dirname of the code as it runs: dist/cli.js beside the blob. */
export let importMetaUrl = `file://${__filename}`;
export let importMetaFilename = __filename;
export let importMetaDirname = __dirname;

export function setLocation(cliJs: string): void {
  importMetaUrl = pathToFileURL(cliJs).href;
  importMetaFilename = cliJs;
  importMetaDirname = dirname(cliJs);
}

/** require() from where the CLI runs now: a snapshot's own require() knows built-ins only. */
export function runtimeRequire(id: string): unknown {
  const { createRequire } = process.getBuiltinModule('node:module');
  return createRequire(importMetaUrl)(id);
}

type Exports = Record<string | symbol, unknown>;

/**
 * A module that loads on first use: a native addon, or a built-in Node cannot put into a startup
 * snapshot (http, https, tls, module...). A bundled module that imports one can then be
 * evaluated while the snapshot is built, as long as it does not call it then. `names` (its
 * exports, read by the build) let esbuild's import helpers copy the exports without loading it;
 * `constants` (its number and string exports, read by the build) answer without loading it, so
 * a table of PKCS#11 constants can be made at build time.
 */
export function lazyModule(load: () => unknown, names: readonly string[], constants: Exports = {}): object {
  let real: Exports | undefined;
  const get = (key: string | symbol) => {
    if (key === '__esModule') return undefined;
    if (Object.hasOwn(constants, key)) return constants[key];
    real ??= load() as Exports;
    return real[key];
  };
  const known = new Set<string | symbol>(names);
  return new Proxy(
    {},
    {
      get: (_, key) => get(key),
      has: (_, key) => known.has(key),
      ownKeys: () => [...names],
      getOwnPropertyDescriptor: (_, key) =>
        known.has(key) ? { configurable: true, enumerable: true, get: () => get(key) } : undefined,
    },
  );
}
