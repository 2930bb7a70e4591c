import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentError, describeError } from '../errors';
import { findNativeFile } from './find-native-file';

/** Who is at the other end of a Unix-socket connection, as the kernel recorded it at connect(). */
export interface PeerCredentials {
  /** -1 where the platform cannot tell (some BSDs); always set on Linux. */
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups (SO_PEERGROUPS, Linux 4.13+); null where the kernel cannot tell. */
  readonly groups: readonly number[] | null;
}

export interface NativeBindings {
  /** The .node file that was loaded. */
  readonly path: string;
  /** SO_PEERCRED (Linux) / getpeereid (BSD, macOS) of a connected Unix-domain socket's fd. */
  peerCredentials(fd: number): PeerCredentials;
  /** RLIMIT_CORE 0 and, on Linux, PR_SET_DUMPABLE 0: no core files, no same-uid ptrace or /proc/<pid>/mem. */
  disableCoreDumps(): void;
  /** IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6) of a TCP socket's fd: how many routers its packets may cross. */
  setHopLimit(fd: number, hops: number): void;
  getHopLimit(fd: number): number;
  /**
   * The signing entry of a PKCS#11 module this process already loaded (through pkcs11js), with up
   * to `threads` signing threads of its own. Throws when the module is not loaded, has no usable
   * function list, or gives this caller an instance of its own.
   */
  bindPkcs11Module(modulePath: string, threads: number): NativePkcs11Module;
  /** Gives the C heap's free pages back to the kernel (glibc malloc_trim); true when some were. */
  trimMemory(): boolean;
}

/** C_SignInit + C_Sign together on a signing thread of the module's, on pkcs11js session and key handles. */
export interface NativePkcs11Module {
  /**
   * Rejects with an Error named "Pkcs11Error" whose `code` is the CK_RV and `fn` the call that
   * failed (what src/pkcs11/error.ts reads from pkcs11js errors too).
   */
  sign(session: Buffer, mechanism: number, key: Buffer, input: Buffer, maxLength: number): Promise<Buffer>;
}

interface RawBindings {
  peerCredentials(fd: number): PeerCredentials;
  disableCoreDumps(): void;
  setHopLimit(fd: number, hops: number): void;
  getHopLimit(fd: number): number;
  bindPkcs11Module(modulePath: string, threads: number): unknown;
  trimMemory(): boolean;
  pkcs11Sign(
    module: unknown,
    session: Buffer,
    mechanism: number,
    key: Buffer,
    input: Buffer,
    maxLength: number,
  ): Promise<Buffer>;
}

export const NATIVE_ADDON_FILE = join('Release', 'ra_native.node');
const SETUP_HINT = 'run scripts/setup.sh (builds native-bindings)';

const loaded = new Map<string, NativeBindings>();

function here(): string {
  return dirname(fileURLToPath(import.meta.url));
}

function isRawBindings(value: unknown): value is RawBindings {
  const v = value as Partial<RawBindings> | null;
  return (
    typeof v?.peerCredentials === 'function' &&
    typeof v.disableCoreDumps === 'function' &&
    typeof v.setHopLimit === 'function' &&
    typeof v.getHopLimit === 'function' &&
    typeof v.bindPkcs11Module === 'function' &&
    typeof v.pkcs11Sign === 'function' &&
    typeof v.trimMemory === 'function'
  );
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function wrap(path: string, raw: RawBindings): NativeBindings {
  return {
    path,
    peerCredentials(fd) {
      try {
        return raw.peerCredentials(fd);
      } catch (error) {
        if (error instanceof TypeError) throw error; // a bad argument is the caller's bug
        const code = errnoCode(error);
        throw new AgentError('PEER_CREDENTIALS_UNAVAILABLE', describeError(error), {
          hint:
            code === 'ENOTCONN' || code === 'EBADF'
              ? 'the client disconnected before it could be identified; it can simply retry'
              : 'peer credentials exist only for a connected unix-domain socket; if this repeats, report it with the agent log',
          cause: error,
        });
      }
    },
    setHopLimit(fd, hops) {
      try {
        raw.setHopLimit(fd, hops);
      } catch (error) {
        if (error instanceof TypeError) throw error;
        throw new AgentError('HOP_LIMIT_NOT_SET', describeError(error), {
          hint: 'the connection may have closed already; if this repeats, report it with the log',
          cause: error,
        });
      }
    },
    getHopLimit: (fd) => raw.getHopLimit(fd),
    trimMemory: () => raw.trimMemory(),
    bindPkcs11Module(modulePath, threads) {
      const module = raw.bindPkcs11Module(modulePath, threads);
      return {
        sign: (session, mechanism, key, input, maxLength) =>
          raw.pkcs11Sign(module, session, mechanism, key, input, maxLength),
      };
    },
    disableCoreDumps() {
      try {
        raw.disableCoreDumps();
      } catch (error) {
        throw new AgentError('CORE_DUMPS_NOT_DISABLED', describeError(error), {
          hint: 'a sandbox (seccomp, container policy) may forbid setrlimit or prctl: allow them for the agent',
          cause: error,
        });
      }
    },
  };
}

/**
 * Loads the agent's N-API addon (native-bindings/build/Release/ra_native.node), searching from
 * `options.from` (default: this module's directory) upward. Throws NATIVE_UNAVAILABLE when it is
 * missing or broken: the agent must then refuse to start, since without peer credentials it
 * could not tell who is asking (fail closed).
 */
export function loadNative(options: { from?: string } = {}): NativeBindings {
  const from = options.from ?? here();
  const path = findNativeFile(NATIVE_ADDON_FILE, from);
  if (path === undefined) {
    throw new AgentError(
      'NATIVE_UNAVAILABLE',
      `native addon native-bindings/build/${NATIVE_ADDON_FILE} not found in ${from} or any directory above it`,
      { hint: SETUP_HINT },
    );
  }
  const cached = loaded.get(path);
  if (cached !== undefined) return cached;

  let raw: unknown;
  try {
    raw = createRequire(import.meta.url)(path);
  } catch (error) {
    throw new AgentError('NATIVE_UNAVAILABLE', `cannot load native addon ${path}: ${describeError(error)}`, {
      hint: SETUP_HINT,
      cause: error,
    });
  }
  if (!isRawBindings(raw)) {
    throw new AgentError(
      'NATIVE_UNAVAILABLE',
      `native addon ${path} lacks peerCredentials, disableCoreDumps, setHopLimit, pkcs11Sign or trimMemory (an old build?)`,
      { hint: SETUP_HINT },
    );
  }
  const bindings = wrap(path, raw);
  loaded.set(path, bindings);
  return bindings;
}

/** The fast credential_process client (native-bindings/build/ra-credential-process), if built. */
export function findFastClient(options: { from?: string } = {}): string | undefined {
  return findNativeFile('ra-credential-process', options.from ?? here());
}
