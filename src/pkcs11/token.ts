import pkcs11js from 'pkcs11js';
import { AgentError, isAgentError } from '../errors';
import { call, Pkcs11Error, rvOf } from './error';
import { login, logout } from './login';
import type { Pkcs11Module } from './module';
import { isSessionLost, isTokenLost, RV } from './rv';
import { createSessionPool, type SessionPool } from './session-pool';
import { describeToken, type SlotToken, selectToken } from './token-select';
import type { Pkcs11Uri } from './uri';

export const DEFAULT_SESSIONS = 4;

/** Asks for the user PIN of a token (description given), only when a login is needed. */
export type PinProvider = (tokenDescription: string) => Promise<string>;

/**
 * One token as every signer of the process shares it: one login, one pool of sessions, one
 * reconnect at a time. Each `openToken` caller holds a reference and releases it once.
 */
export interface OpenToken {
  readonly module: Pkcs11Module;
  readonly info: SlotToken;
  readonly description: string;
  /** Module path and token identity, stable for the life of the shared token. */
  readonly identity: string;
  /** Bumped by each reconnect: object handles found before it are void. */
  readonly epoch: number;
  /** C_GetMechanismList of the slot, read once per connection. */
  readonly mechanisms: ReadonlySet<number>;
  /** The session that holds the login, for object searches (synchronous calls). */
  readonly mainSession: Buffer;
  /**
   * Runs `operation` on a pooled session; a session whose operation failed is closed, not reused.
   * `handlesEpoch`: the epoch the operation's object handles were found in; when the token has
   * reconnected since (or the module was re-initialized for another token), the operation is not
   * run and a session-lost Pkcs11Error says so, since the handles may now name other objects.
   */
  withSession<T>(operation: (session: Buffer) => Promise<T>, handlesEpoch?: number): Promise<T>;
  /**
   * One reconnect (sessions, login; module re-initialization when the device itself was lost)
   * unless one already happened since `seenEpoch`. `rv` is the failure that prompted it.
   */
  reconnect(seenEpoch: number, rv: number | undefined): Promise<void>;
  /** The user PIN for a CKU_CONTEXT_SPECIFIC login (asked once if the token had needed none). */
  contextPin(getPin: PinProvider): Promise<string>;
  release(): Promise<void>;
}

interface SharedToken {
  refs: number;
  closed: boolean;
  pool: SessionPool<Buffer>;
  /** The module generation each pooled session was opened in. */
  openedIn: WeakMap<Buffer, number>;
  state: {
    info: SlotToken;
    main: Buffer;
    mechanisms: Set<number>;
    epoch: number;
    generation: number;
    pin: string | undefined;
  };
  reconnect(seenEpoch: number, rv: number | undefined): Promise<void>;
  close(): Promise<void>;
}

const shared = new Map<string, Promise<SharedToken>>();

/** The key under which a token's login (and refused PINs) are remembered in this process. */
export function identityOf(module: Pkcs11Module, info: SlotToken): string {
  return [module.path, info.manufacturer, info.model, info.serial, info.label].join('\0');
}

function readMechanisms(module: Pkcs11Module, info: SlotToken): Set<number> {
  try {
    return new Set(module.api.C_GetMechanismList(info.slot));
  } catch {
    // Some modules do not list mechanisms: the raw ones are tried and the token decides.
    return new Set([pkcs11js.CKM_ECDSA, pkcs11js.CKM_RSA_PKCS]);
  }
}

/**
 * After C_Finalize every session handle is void, and the module hands the same numbers out
 * again: closing an old one could close another token's new session. Only sessions opened in
 * the module's current generation are closed.
 */
function closeIfCurrent(module: Pkcs11Module, session: Buffer, generation: number): void {
  if (generation === module.generation) closeQuietly(module, session);
}

function closeQuietly(module: Pkcs11Module, session: Buffer): void {
  try {
    module.api.C_CloseSession(session);
  } catch {
    // Closed with its token already.
  }
}

const lostOrMissing = (error: unknown) => {
  const rv = rvOf(error);
  return (
    (rv !== undefined && isTokenLost(rv)) || (isAgentError(error) && error.code === 'PKCS11_TOKEN_NOT_FOUND')
  );
};

async function connect(
  module: Pkcs11Module,
  uri: Pkcs11Uri,
  getPin: PinProvider,
  knownPin: string | undefined,
) {
  const info = selectToken(module, uri);
  const description = describeToken(info);
  const main = call('C_OpenSession', `cannot open a session on ${description}`, () =>
    module.api.C_OpenSession(info.slot, pkcs11js.CKF_SERIAL_SESSION),
  );
  let pin = knownPin;
  try {
    if (info.flags & pkcs11js.CKF_LOGIN_REQUIRED) {
      pin ??= await getPin(description);
      login(module.api, main, info, identityOf(module, info), pin);
    }
  } catch (error) {
    closeQuietly(module, main);
    throw error;
  }
  return { info, main, mechanisms: readMechanisms(module, info), generation: module.generation, pin };
}

async function createShared(
  module: Pkcs11Module,
  uri: Pkcs11Uri,
  getPin: PinProvider,
  sessions: number,
  first: SlotToken,
): Promise<SharedToken> {
  const connected = await connect(module, uri, getPin, undefined);
  const state = { ...connected, epoch: 0 };
  const selector: Pkcs11Uri = { serial: first.serial, token: first.label };
  const openedIn = new WeakMap<Buffer, number>();
  const pool = createSessionPool<Buffer>({
    size: sessions,
    open: () => {
      const session = call('C_OpenSession', `cannot open a session on ${describeToken(state.info)}`, () =>
        module.api.C_OpenSession(state.info.slot, pkcs11js.CKF_SERIAL_SESSION),
      );
      openedIn.set(session, module.generation);
      return session;
    },
    close: (session) => closeIfCurrent(module, session, openedIn.get(session) ?? -1),
    // A token with fewer sessions than asked for (a small HSM, other programs holding some).
    isSessionLimit: (error) => rvOf(error) === RV.SESSION_COUNT,
  });
  let reconnecting: { epoch: number; promise: Promise<void> } | undefined;

  async function rebuild(rv: number | undefined): Promise<void> {
    closeIfCurrent(module, state.main, state.generation);
    // The same token (label and serial), else whatever the caller's URI now selects: a token
    // re-created from a backup gets a new serial.
    const attempt = async () => {
      try {
        return await connect(module, selector, getPin, state.pin);
      } catch (error) {
        if (!(isAgentError(error) && error.code === 'PKCS11_TOKEN_NOT_FOUND')) throw error;
        return await connect(module, uri, getPin, state.pin);
      }
    };
    // Many modules (SoftHSM among them) only notice a token that went away and came back after
    // C_Finalize + C_Initialize; a lost session alone is worth a plain reconnect first. At most
    // one re-initialization per reconnect; one done by another token since our last try counts.
    let reinitialized = false;
    const reinitialize = async () => {
      await module.reinitialize();
      reinitialized = true;
    };
    try {
      if (module.generation === state.generation && !(rv !== undefined && isSessionLost(rv)))
        await reinitialize();
      try {
        Object.assign(state, await attempt());
      } catch (error) {
        if (!lostOrMissing(error) || reinitialized) throw error;
        await reinitialize();
        Object.assign(state, await attempt());
      }
    } finally {
      state.generation = module.generation;
    }
  }

  const token: SharedToken = {
    refs: 0,
    closed: false,
    pool,
    state,
    openedIn,
    reconnect(seenEpoch, rv) {
      // A reconnect for an older epoch is over: someone already reconnected since the caller's try.
      if (state.epoch !== seenEpoch) return Promise.resolve();
      if (reconnecting?.epoch === seenEpoch) return reconnecting.promise;
      const run = async () => {
        await pool.suspend();
        try {
          await rebuild(rv);
        } finally {
          state.epoch++;
          pool.resume();
        }
      };
      reconnecting = { epoch: seenEpoch, promise: run() };
      return reconnecting.promise;
    },
    async close() {
      token.closed = true;
      await pool.close();
      if (state.generation !== module.generation) return; // void since a re-initialization
      logout(module.api, state.main);
      closeQuietly(module, state.main);
    },
  };
  return token;
}

/**
 * The token of `module` that `uri` selects, logged in (PIN asked through `getPin` only when
 * this process is not logged in to it yet), with a pool of `sessions` sessions.
 */
export async function openToken(
  module: Pkcs11Module,
  uri: Pkcs11Uri,
  getPin: PinProvider,
  sessions = DEFAULT_SESSIONS,
): Promise<OpenToken> {
  const first = selectToken(module, uri);
  const identity = identityOf(module, first);
  let pending = shared.get(identity);
  if (!pending) {
    pending = createShared(module, uri, getPin, sessions, first);
    shared.set(identity, pending);
    pending.catch(() => shared.delete(identity));
  }
  const token = await pending;
  // Closed by its last holder while we waited for it: open the token afresh.
  if (token.closed) return openToken(module, uri, getPin, sessions);
  token.refs++;
  token.pool.grow(sessions);
  const { state, pool, openedIn } = token;
  let released = false;

  function runOn<T>(
    session: Buffer,
    operation: (session: Buffer) => Promise<T>,
    handlesEpoch: number | undefined,
  ): Promise<T> {
    return module
      .use(() => {
        // Checked inside use(): a re-initialization waits for operations in flight, and one that
        // happened while this waited makes the session, the login and the handles void.
        const current = module.generation;
        if (
          state.generation !== current ||
          openedIn.get(session) !== current ||
          (handlesEpoch !== undefined && handlesEpoch !== state.epoch)
        ) {
          throw voidHandles(describeToken(state.info));
        }
        return operation(session);
      })
      .then(
        (result) => {
          pool.release(session);
          return result;
        },
        (error: unknown) => {
          // A failed operation may leave the session lost or mid-operation: open a fresh one.
          pool.release(session, true);
          throw error;
        },
      );
  }

  return {
    module,
    get info() {
      return state.info;
    },
    get description() {
      return describeToken(state.info);
    },
    identity,
    get epoch() {
      return state.epoch;
    },
    get mechanisms() {
      return state.mechanisms;
    },
    get mainSession() {
      return state.main;
    },
    withSession(operation, handlesEpoch) {
      let session: Buffer | undefined;
      try {
        session = pool.tryAcquire();
      } catch (error) {
        return Promise.reject(error);
      }
      return session !== undefined
        ? runOn(session, operation, handlesEpoch)
        : pool.acquire().then((leased) => runOn(leased, operation, handlesEpoch));
    },
    reconnect: (seenEpoch, rv) => token.reconnect(seenEpoch, rv),
    async contextPin(getContextPin) {
      state.pin ??= await getContextPin(describeToken(state.info));
      return state.pin;
    },
    async release() {
      if (released) return;
      released = true;
      token.refs--;
      if (token.refs > 0) return;
      if (shared.get(identity) === pending) shared.delete(identity);
      await token.close();
    },
  };
}

/** Sessions or handles from before a reconnect or module re-initialization: reconnect, find the key again. */
function voidHandles(description: string): Pkcs11Error {
  return new Pkcs11Error(
    'TOKEN_UNAVAILABLE',
    `the sessions and object handles of ${description} are void after a reconnect or module re-initialization`,
    { rv: RV.SESSION_HANDLE_INVALID, fn: 'C_SignInit', hint: 'the next call reconnects on its own' },
  );
}

/** For messages: the token is gone and one reconnect did not bring it back. */
export function tokenUnavailable(description: string, cause: unknown): AgentError {
  return new AgentError(
    'TOKEN_UNAVAILABLE',
    `${description} is unavailable: the sessions were lost and one reconnect failed`,
    {
      hint: 'check that the token is plugged in and its module sees it (pkcs11-tool --module <lib> --list-slots); the next request tries again',
      cause,
    },
  );
}
