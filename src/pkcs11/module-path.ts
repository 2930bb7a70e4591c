import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { AgentError } from '../errors';
import type { Pkcs11Uri } from './uri';

/** Debian multiarch triplets, for the library directories of this machine's architecture. */
const TRIPLETS: Record<string, string> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ia32: 'i386-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
};

export interface ModuleSearchPaths {
  /** p11-kit module configs (`<name>.module` files with a `module:` line). */
  configDirs: string[];
  /** Directories holding module libraries, searched for `<name>.so` and `lib<name>.so`. */
  libraryDirs: string[];
  /** Where p11-kit-proxy.so may be, in order. */
  proxyPaths: string[];
}

export function defaultSearchPaths(arch: string = process.arch): ModuleSearchPaths {
  const triplet = TRIPLETS[arch];
  const multiarch = triplet ? [`/usr/lib/${triplet}`] : [];
  return {
    configDirs: [
      join(homedir(), '.config/pkcs11/modules'),
      '/etc/pkcs11/modules',
      '/usr/share/p11-kit/modules',
    ],
    libraryDirs: [
      ...multiarch.map((dir) => `${dir}/pkcs11`),
      '/usr/lib64/pkcs11',
      '/usr/lib/pkcs11',
      ...multiarch,
      '/usr/lib64',
      '/usr/lib',
    ],
    proxyPaths: [
      ...multiarch.map((dir) => `${dir}/p11-kit-proxy.so`),
      '/usr/lib64/p11-kit-proxy.so',
      '/usr/lib/p11-kit-proxy.so',
    ],
  };
}

export type ModuleSource = 'module-path' | 'option' | 'module-name' | 'p11-kit-proxy';

export interface ModuleChoice {
  path: string;
  source: ModuleSource;
}

/** The `module:` line of a p11-kit module config; relative names live in the pkcs11 library dir. */
function moduleFromConfig(configPath: string, search: ModuleSearchPaths): string | undefined {
  const line = readFileSync(configPath, 'utf8')
    .split('\n')
    .map((text) => text.trim())
    .find((text) => /^module\s*:/.test(text));
  const value = line?.slice(line.indexOf(':') + 1).trim();
  if (!value) return undefined;
  if (isAbsolute(value)) return value;
  return (
    search.libraryDirs.map((dir) => join(dir, value)).find((path) => existsSync(path)) ??
    join(search.libraryDirs[0] ?? '/usr/lib', value)
  );
}

function resolveModuleName(name: string, search: ModuleSearchPaths): string {
  if (!/^[A-Za-z0-9._+-]+$/.test(name)) {
    throw new AgentError(
      'PKCS11_URI_INVALID',
      `invalid pkcs11 uri: module-name ${JSON.stringify(name)} is not a plain module name`,
      {
        hint: 'give a name such as module-name=softhsm2, or the full path with module-path=',
      },
    );
  }
  for (const dir of search.configDirs) {
    const config = join(dir, `${name}.module`);
    if (existsSync(config)) {
      const path = moduleFromConfig(config, search);
      if (path) return path;
    }
  }
  const files = name.endsWith('.so') ? [name] : [`${name}.so`, `lib${name}.so`];
  for (const dir of search.libraryDirs) {
    for (const file of files) {
      const path = join(dir, file);
      if (existsSync(path)) return path;
    }
  }
  throw new AgentError(
    'PKCS11_MODULE_NOT_FOUND',
    `no pkcs11 module named "${name}" (looked in ${[...search.configDirs, ...search.libraryDirs].join(', ')})`,
    {
      hint: 'install the module, or give its full path with module-path= in the URI or --pkcs11-lib',
    },
  );
}

/**
 * Which PKCS#11 module (shared library) to load: the URI's module-path, else the caller's
 * option (--pkcs11-lib), else the URI's module-name looked up the way p11-kit does, else
 * p11-kit-proxy, which reaches every module p11-kit knows.
 */
export function resolveModulePath(
  uri: Pkcs11Uri,
  option?: string,
  search: ModuleSearchPaths = defaultSearchPaths(),
): ModuleChoice {
  if (uri.modulePath) return { path: resolve(uri.modulePath), source: 'module-path' };
  if (option) return { path: resolve(option), source: 'option' };
  if (uri.moduleName) return { path: resolveModuleName(uri.moduleName, search), source: 'module-name' };
  const proxy = search.proxyPaths.find((path) => existsSync(path));
  if (proxy) return { path: proxy, source: 'p11-kit-proxy' };
  throw new AgentError(
    'PKCS11_MODULE_NOT_FOUND',
    `no pkcs11 module given and p11-kit-proxy is not installed (looked for ${search.proxyPaths.join(', ')})`,
    {
      hint: 'give the module with --pkcs11-lib /path/to/module.so or module-path= in the URI, or install p11-kit',
    },
  );
}
