import { availableParallelism } from 'node:os';
import { loadNative, type NativePkcs11Module } from '../native';

const bound = new Map<string, NativePkcs11Module | undefined>();
const MAX_THREADS = 16;

/**
 * Signing threads per module where the event loop has little else to do (a CLI, a program using
 * the library): one per core and one more, to cover the time a thread waits on the module's own
 * locks. Software tokens (SoftHSM, tpm2-pkcs11's host side) are CPU bound: on 2 cores, 3 threads
 * gave the Signer 0.95x raw pkcs11js, 2 threads 0.76-0.92x (`npm run bench:sign`).
 */
let threadsPerModule = Math.min(availableParallelism() + 1, MAX_THREADS);

/**
 * For a process whose event loop is busy itself (the agent serving its socket): signing threads
 * then take the other cores only. On 2 cores the agent signed 22k/s over its socket with one
 * thread, 19k/s with two (`npm run bench:agent`). Applies to modules bound after the call.
 */
export function leaveOneCoreToTheEventLoop(): void {
  threadsPerModule = Math.max(1, Math.min(availableParallelism() - 1, MAX_THREADS));
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
    entry = loadNative().bindPkcs11Module(modulePath, threadsPerModule);
  } catch {
    entry = undefined;
  }
  bound.set(modulePath, entry);
  return entry;
}
