// Shared by the native tests (unit and e2e): builds native-bindings once (the build script is
// idempotent and locked, so parallel test files may all call it) and runs commands as nobody.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ADDON_PATH = join(ROOT, 'native-bindings', 'build', 'Release', 'ra_native.node');
export const CLIENT_PATH = join(ROOT, 'native-bindings', 'build', 'ra-credential-process');

export const NOBODY = 65534;
/** setpriv can switch to another uid only as root (as CI runs). */
export const CAN_SWITCH_USER = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');

export function ensureNativeBuilt(): void {
  execFileSync('bash', [join(ROOT, 'scripts', 'build-native.sh')], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** argv prefixed so that it runs as uid/gid 65534 with no supplementary groups. */
export function asNobody(argv: string[]): string[] {
  return ['/usr/bin/setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...argv];
}
