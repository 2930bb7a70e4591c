import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where scripts/build-native.sh puts its outputs, relative to the package root. */
export const NATIVE_BUILD_DIR = join('native-bindings', 'build');

/**
 * Looks for `native-bindings/build/<relative>` in `from` and each directory above it. One search
 * serves every layout: src/native/ (tests), dist/ and dist/chunks/ (esbuild bundles), and
 * node_modules/rolesanywhere-agent/dist/ (installed package).
 */
export function findNativeFile(relative: string, from: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, NATIVE_BUILD_DIR, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
