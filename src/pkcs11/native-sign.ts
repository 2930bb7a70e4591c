import { availableParallelism } from 'node:os';
import { loadNative, type NativePkcs11Module } from '../native';

const bound = new Map<string, NativePkcs11Module | undefined>();
/** The most signing threads per module the agent config accepts. */
export const MAX_SIGNING_THREADS = 16;
const MAX_SESSIONS = 32;

/**
 * Signing threads per module where the event loop has little else to do (a CLI, a program using
 * the library): one per core and one more, to cover the time a thread waits on the module's own
 * locks. Software tokens (SoftHSM, tpm2-pkcs11's host side) are CPU bound: on 2 cores, 3 threads
 * gave the Signer 0.95x raw pkcs11js, 2 threads 0.76-0.92x (`npm run bench:sign`).
 */
let threadsPerModule = Math.min(availableParallelism() + 1, MAX_SIGNING_THREADS);

/**
 * For a process whose event loop is busy itself (the agent serving its socket): by default the
 * signing threads then take the other cores only. On 2 cores the agent signed 22k/s over its
 * socket with one thread, 19k/s with two (`npm run bench:agent`). `count` overrides it: a network
 * HSM that answers slowly but in parallel wants more threads than cores. Applies to modules bound
 * after the call.
 */
export function useAgentSigningThreads(count?: number): void {
  threadsPerModule = count ?? Math.max(1, Math.min(availableParallelism() - 1, MAX_SIGNING_THREADS));
}

/**
 * Sessions a token needs for its signing threads never to wait for work: per thread, one
 * signature running and about three more queued or on their way back through the event loop.
 * The agent opens this many; the CLI, which signs once, keeps the pool's default of 4. On 2 cores
 * (one signing thread) the agent signed 21.2-21.8k/s over its socket with 4 sessions and
 * 22.6-23.5k/s with 8 (`npm run bench:agent`). A token that has fewer stops the pool there.
 */
export function sessionsToFeedSigningThreads(): number {
  return Math.min(4 * threadsPerModule + 4, MAX_SESSIONS);
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
