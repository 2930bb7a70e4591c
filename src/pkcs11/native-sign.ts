import { availableParallelism } from 'node:os';
import { loadNative, type NativePkcs11Module } from '../native';

const bound = new Map<string, NativePkcs11Module | undefined>();

/**
 * Signing threads per module: one core is left to the event loop, the others sign. Software
 * tokens (SoftHSM, tpm2-pkcs11's host side) are CPU bound and contend on their own locks: on 2
 * cores one signing thread gave 22k ECDSA signatures/s over the agent's socket, two 19k, four 17k
 * (`npm run bench:agent`, docs/performance.md).
 */
export function signingThreads(): number {
  return Math.max(1, Math.min(availableParallelism() - 1, 16));
}

/**
 * The native signing entry for a module pkcs11js has loaded: C_SignInit and C_Sign both on a
 * signing thread, where pkcs11js runs C_SignInit on the event loop (which then waits on the
 * module's locks while other threads sign). Undefined when the addon is not built or cannot bind
 * the module (p11-kit-proxy gives each caller its own instance): signing then stays on pkcs11js,
 * which is correct, only slower under load.
 */
export function nativeSigningFor(modulePath: string): NativePkcs11Module | undefined {
  if (bound.has(modulePath)) return bound.get(modulePath);
  let entry: NativePkcs11Module | undefined;
  try {
    entry = loadNative().bindPkcs11Module(modulePath, signingThreads());
  } catch {
    entry = undefined;
  }
  bound.set(modulePath, entry);
  return entry;
}
