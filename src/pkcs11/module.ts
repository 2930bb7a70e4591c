import { existsSync, realpathSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { AgentError, describeError } from '../errors';
import { call, rvOf, toPkcs11Error } from './error';
import { RV } from './rv';

export type Pkcs11Api = InstanceType<typeof pkcs11js.PKCS11>;

export interface Pkcs11LibraryInfo {
  manufacturer: string;
  description: string;
  version: { major: number; minor: number };
}

/** One loaded PKCS#11 module (shared library), shared by everything in the process. */
export interface Pkcs11Module {
  readonly path: string;
  readonly api: Pkcs11Api;
  /** Bumped by each re-initialization: sessions and handles from an older generation are void. */
  readonly generation: number;
  readonly library: Pkcs11LibraryInfo;
  /** Runs an operation on the module's sessions; re-initialization waits for running ones. */
  use<T>(operation: () => Promise<T>): Promise<T>;
  /** C_Finalize + C_Initialize once no operation runs: how a module notices a token that came back. */
  reinitialize(): Promise<void>;
}

const DRAIN_TIMEOUT_MS = 30_000;
const modules = new Map<string, Pkcs11Module>();

function initialize(api: Pkcs11Api, path: string): void {
  try {
    // OS locking: signing runs on libuv worker threads over several sessions at once.
    api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (rvOf(error) === RV.CRYPTOKI_ALREADY_INITIALIZED) return;
    throw toPkcs11Error(error, 'C_Initialize', `cannot initialize pkcs11 module ${path}`);
  }
}

function readLibraryInfo(api: Pkcs11Api, path: string): Pkcs11LibraryInfo {
  const info = call('C_GetInfo', `cannot read the description of pkcs11 module ${path}`, () =>
    api.C_GetInfo(),
  );
  return {
    manufacturer: info.manufacturerID.trimEnd(),
    description: info.libraryDescription.trimEnd(),
    version: { major: info.libraryVersion.major, minor: info.libraryVersion.minor },
  };
}

function open(path: string): Pkcs11Module {
  const api = new pkcs11js.PKCS11();
  try {
    api.load(path);
  } catch (error) {
    throw new AgentError(
      'PKCS11_MODULE_INVALID',
      `cannot load pkcs11 module ${path}: ${describeError(error)}`,
      {
        hint: 'give the PKCS#11 module itself (a .so exporting C_GetFunctionList), built for this machine',
        cause: error,
      },
    );
  }
  initialize(api, path);
  let generation = 0;
  let library = readLibraryInfo(api, path);
  let inFlight = 0;
  let paused: Promise<void> | undefined;
  let onDrained: (() => void) | undefined;
  let reinitializing: Promise<void> | undefined;

  const drained = () =>
    new Promise<void>((resolve, reject) => {
      if (inFlight === 0) return resolve();
      const timer = setTimeout(() => {
        onDrained = undefined;
        reject(
          new AgentError(
            'TOKEN_UNAVAILABLE',
            `pkcs11 module ${path} is still busy after ${DRAIN_TIMEOUT_MS / 1000} s; cannot reconnect to the token`,
            {
              hint: 'the token or its module may hang; unplug and replug the token or restart the agent',
            },
          ),
        );
      }, DRAIN_TIMEOUT_MS);
      onDrained = () => {
        clearTimeout(timer);
        onDrained = undefined;
        resolve();
      };
    });

  function use<T>(operation: () => Promise<T>): Promise<T> {
    if (paused) return paused.then(() => use(operation));
    inFlight++;
    const done = () => {
      inFlight--;
      if (inFlight === 0) onDrained?.();
    };
    let running: Promise<T>;
    try {
      running = operation();
    } catch (error) {
      done();
      return Promise.reject(error);
    }
    return running.then(
      (result) => {
        done();
        return result;
      },
      (error: unknown) => {
        done();
        throw error;
      },
    );
  }

  return {
    path,
    api,
    get generation() {
      return generation;
    },
    get library() {
      return library;
    },
    use,
    reinitialize() {
      const run = async () => {
        let resume = () => {};
        paused = new Promise<void>((resolve) => {
          resume = resolve;
        });
        try {
          await drained();
          try {
            api.C_Finalize();
          } catch {
            // Already finalized or the module is confused: C_Initialize below decides.
          }
          initialize(api, path);
          library = readLibraryInfo(api, path);
          generation++;
        } finally {
          // Runs after the assignment below: run() always awaits drained() first.
          reinitializing = undefined;
          paused = undefined;
          resume();
        }
      };
      reinitializing ??= run();
      return reinitializing;
    },
  };
}

/**
 * The module at `path`, loaded and initialized once per process (C_Initialize with
 * CKF_OS_LOCKING_OK; CKR_CRYPTOKI_ALREADY_INITIALIZED is fine).
 */
export function loadPkcs11Module(path: string): Pkcs11Module {
  if (!existsSync(path)) {
    throw new AgentError('PKCS11_MODULE_NOT_FOUND', `no pkcs11 module at ${path}`, {
      hint: 'check --pkcs11-lib / module-path; e.g. SoftHSM is /usr/lib/softhsm/libsofthsm2.so, OpenSC is /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
    });
  }
  const key = realpathSync(path);
  let module = modules.get(key);
  if (!module) {
    module = open(path);
    modules.set(key, module);
  }
  return module;
}
