import pkcs11js from 'pkcs11js';
import { AgentError, isAgentError } from '../errors';
import { call, Pkcs11Error, rvOf, toPkcs11Error } from './error';
import type { ObjectScope } from './key';
import { login } from './login';
import { loadPkcs11Module, type Pkcs11Api, type Pkcs11Module } from './module';
import { type ModuleChoice, resolveModulePath } from './module-path';
import { resolvePin } from './pin';
import { explainTpmError, type ModuleQuirks, moduleQuirks } from './quirks';
import { identityOf } from './token';
import { describeToken, type SlotToken, selectToken } from './token-select';
import { type Pkcs11Uri, parsePkcs11Uri } from './uri';

/** CK_STATE values of C_GetSessionInfo in which the user is logged in. */
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

export interface TokenSessionOptions {
  /** pkcs11: URI selecting the token (object attributes are ignored here). */
  uri: string | Pkcs11Uri;
  /** Module path (--pkcs11-lib) when the URI has no module-path. */
  module?: string;
  /** User PIN when the URI has neither pin-value nor pin-source (else RA_PKCS11_PIN, else a prompt). */
  pin?: string;
  env?: NodeJS.ProcessEnv;
  /** Ask for the PIN on a terminal when nothing else gives it (default: when on a TTY). */
  prompt?: boolean;
  /**
   * A read-write session, for creating and destroying objects (default false). A token that
   * refuses writes still gets a read-only session: the caller checks its input first and calls
   * assertWritable() just before writing, so the user hears about the worst problem first.
   */
  write?: boolean;
  /**
   * 'optional': carry on without logging in when no PIN is to be had; 'none': do not log in
   * (listing public objects only). Default 'required' on tokens that need a login.
   */
  login?: 'required' | 'optional' | 'none';
}

/**
 * One session on one token for the key-management commands (generate, import, list): a
 * plain session of its own, not the signers' shared pool. Closing it ends the login only when
 * no other session of the process holds it (PKCS#11 logs out with the last session).
 */
export interface TokenSession extends ObjectScope {
  readonly api: Pkcs11Api;
  readonly info: SlotToken;
  readonly session: Buffer;
  readonly choice: ModuleChoice;
  readonly quirks: ModuleQuirks;
  /** C_GetMechanismList of the slot; undefined when the module does not list them. */
  readonly mechanisms: ReadonlySet<number> | undefined;
  readonly loggedIn: boolean;
  /** Why the token takes no new objects (write-protected), or undefined when it does. */
  readonly readOnly: string | undefined;
  /** Throws TOKEN_READ_ONLY when the token takes no new objects. */
  assertWritable(): void;
  /** CKU_CONTEXT_SPECIFIC login before one signature with a CKA_ALWAYS_AUTHENTICATE key. */
  contextLogin(): Promise<void>;
  close(): void;
}

/** The module a URI (or --pkcs11-lib) names, loaded; TPM failures explained as such. */
export function loadModuleFor(
  uri: Pkcs11Uri,
  option?: string,
): { module: Pkcs11Module; choice: ModuleChoice } {
  const choice = resolveModulePath(uri, option);
  try {
    return { module: loadPkcs11Module(choice.path), choice };
  } catch (error) {
    throw explainTpmError(error, choice.path);
  }
}

/** A token that refuses writes, said plainly with what to do. */
export function readOnlyError(token: SlotToken, detail: string, cause?: unknown): AgentError {
  return new AgentError('TOKEN_READ_ONLY', `${describeToken(token)} is read-only: ${detail}`, {
    hint: 'use a token that accepts new objects, or ask its administrator to lift the write protection; nothing was created',
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * A failed write (C_GenerateKeyPair, C_CreateObject): read-only and full tokens get their own
 * codes (TOKEN_READ_ONLY, TOKEN_FULL), the rest a Pkcs11Error saying what was being done.
 */
export function toWriteError(error: unknown, fn: string, context: string, token: SlotToken): unknown {
  const rv = rvOf(error);
  if (rv === pkcs11js.CKR_TOKEN_WRITE_PROTECTED || rv === pkcs11js.CKR_SESSION_READ_ONLY) {
    return readOnlyError(token, `the token refused to store objects (${fn})`, error);
  }
  if (rv === pkcs11js.CKR_DEVICE_MEMORY) {
    return new Pkcs11Error('TOKEN_FULL', `${context}: ${describeToken(token)} is full (CKR_DEVICE_MEMORY)`, {
      rv,
      fn,
      hint: 'delete objects that are no longer used (pkcs11-tool --delete-object) or use another token',
      cause: error,
    });
  }
  return toPkcs11Error(error, fn, context, {
    hint: 'check that the token accepts new objects (its store is writable by this user and not full); run with --debug for details',
  });
}

function sessionState(api: Pkcs11Api, session: Buffer): number | undefined {
  try {
    return api.C_GetSessionInfo(session).state;
  } catch {
    return undefined;
  }
}

function readMechanisms(api: Pkcs11Api, slot: Buffer): Set<number> | undefined {
  try {
    return new Set(api.C_GetMechanismList(slot));
  } catch {
    return undefined;
  }
}

/**
 * Opens a session on the token a URI selects, logged in as the user when the token needs it.
 * A write session on a token flagged CKF_WRITE_PROTECTED is refused before anything is opened.
 */
export async function openTokenSession(options: TokenSessionOptions): Promise<TokenSession> {
  const uri = typeof options.uri === 'string' ? parsePkcs11Uri(options.uri) : options.uri;
  const { module, choice } = loadModuleFor(uri, options.module);
  let info: SlotToken;
  try {
    info = selectToken(module, uri);
  } catch (error) {
    throw explainTpmError(error, choice.path);
  }
  const description = describeToken(info);
  const { api } = module;
  let readOnly: string | undefined =
    options.write && info.flags & pkcs11js.CKF_WRITE_PROTECTED ? 'it reports CKF_WRITE_PROTECTED' : undefined;
  const open = (rw: boolean) =>
    api.C_OpenSession(info.slot, pkcs11js.CKF_SERIAL_SESSION | (rw ? pkcs11js.CKF_RW_SESSION : 0));
  let session: Buffer;
  try {
    try {
      session = open(options.write === true && readOnly === undefined);
    } catch (error) {
      if (rvOf(error) !== pkcs11js.CKR_TOKEN_WRITE_PROTECTED) throw error;
      readOnly = 'it refused a read-write session (CKR_TOKEN_WRITE_PROTECTED)';
      session = open(false);
    }
  } catch (error) {
    throw explainTpmError(
      toPkcs11Error(error, 'C_OpenSession', `cannot open a session on ${description}`),
      choice.path,
    );
  }
  const closeSession = () => {
    try {
      api.C_CloseSession(session);
    } catch {
      // Gone with its token already.
    }
  };
  let loggedIn = false;
  let knownPin: string | undefined;
  const getPin = async () => {
    knownPin ??= await resolvePin(
      {
        uri,
        ...(options.pin !== undefined ? { pin: options.pin } : {}),
        ...(options.env ? { env: options.env } : {}),
        ...(options.prompt !== undefined ? { prompt: options.prompt } : {}),
      },
      description,
    );
    return knownPin;
  };
  try {
    const state = sessionState(api, session);
    loggedIn = state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
    if (!loggedIn && options.login !== 'none' && info.flags & pkcs11js.CKF_LOGIN_REQUIRED) {
      let pin: string | undefined;
      try {
        pin = await getPin();
      } catch (error) {
        if (!(options.login === 'optional' && isAgentError(error) && error.code === 'PIN_REQUIRED'))
          throw error;
      }
      if (pin !== undefined) {
        login(api, session, info, identityOf(module, info), pin);
        loggedIn = true;
      }
    }
  } catch (error) {
    closeSession();
    throw error;
  }
  let closed = false;
  return {
    module,
    api,
    info,
    description,
    session,
    mainSession: session,
    choice,
    quirks: moduleQuirks(module.library, module.path),
    mechanisms: readMechanisms(api, info.slot),
    loggedIn,
    readOnly,
    assertWritable() {
      if (readOnly !== undefined) throw readOnlyError(info, readOnly);
    },
    async contextLogin() {
      login(api, session, info, identityOf(module, info), await getPin(), true);
    },
    close() {
      if (closed) return;
      closed = true;
      closeSession();
    },
  };
}

/** C_GetMechanismInfo of `mechanism` on the session's slot; undefined when the module gives none. */
export function mechanismInfo(token: TokenSession, mechanism: number): pkcs11js.MechanismInfo | undefined {
  try {
    return call('C_GetMechanismInfo', `cannot read mechanism info on ${token.description}`, () =>
      token.api.C_GetMechanismInfo(token.info.slot, mechanism),
    );
  } catch {
    return undefined;
  }
}
