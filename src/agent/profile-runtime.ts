import type { Logger } from 'pino';
import { type CachedProvider, createCachedProvider } from '../credentials/cached-provider';
import type { Credentials } from '../credentials/types';
import { isAgentError } from '../errors';
import { resolveModulePath } from '../pkcs11/module-path';
import { sessionsToFeedSigningThreads } from '../pkcs11/native-sign';
import { parsePkcs11Uri } from '../pkcs11/uri';
import { createSession } from '../rolesanywhere';
import type { Digest, Signer } from '../signer/signer';
import { serialToDecimal } from '../x509/serial';
import type { ProfileConfig } from './config-types';
import { createManagedSigner, type ManagedSigner, type SignerStatus } from './managed-signer';
import { systemdCredentialPin } from './pin-credential';

/** Counters of one profile, for /v1/metrics. */
export interface ProfileCounters {
  createSession: number;
  createSessionFailures: Map<string, number>;
  /** Signatures for raw sign requests, and for CreateSession. */
  signRoute: number;
  signSession: number;
  cacheHits: number;
  cacheMisses: number;
}

export interface ProfileHealth {
  status: 'ok' | 'degraded';
  reasons: string[];
  key: SignerStatus & { kind: 'pkcs11' | 'file' };
  credentials: {
    valid: boolean;
    fetching: boolean;
    expiration?: string;
    refreshAt?: string;
    fetchedAt?: string;
    failures: number;
    retryAt?: string;
    lastError?: { code: string; message: string };
  };
}

export interface ProfileRuntime {
  readonly config: ProfileConfig;
  /** Starts the first CreateSession in the background (credentials ready before anyone asks). */
  start(): void;
  /** Credentials from memory, fetching only when none are valid; `cached` says which. */
  credentials(): Promise<{ credentials: Credentials; cached: boolean }>;
  /** The open signer (certificate and chain). */
  signer(): Promise<Signer>;
  sign(data: Uint8Array, digest: Digest): Promise<Uint8Array>;
  /** The certificate serial once the key has been opened. */
  serial(): string | undefined;
  /** The PKCS#11 module the key is on (resolved path), undefined for file keys. */
  modulePath(): string | undefined;
  /** The key was opened: its module holds sessions of this profile. */
  keyOpened(): boolean;
  health(): ProfileHealth;
  counters: ProfileCounters;
  /** Peers lists may change on reload without touching the key or the cache. */
  updateAccess(config: ProfileConfig): void;
  /** Re-reads the certificate where it can change under the key (a token); no-op before the key is open. */
  reloadCertificate(): Promise<void>;
  close(): Promise<void>;
}

export interface ProfileRuntimeOptions {
  logger: Logger;
  /** Seconds between idle token checks (PKCS#11 keys); 0 = off. */
  tokenCheckSeconds: number;
  /** The clock (tests pass a controlled one); default now. */
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
  /** Opens the key; default from the config (fromPkcs11 / fromFile). */
  openSigner?: (config: ProfileConfig) => Promise<Signer>;
  /**
   * Whether the module may be re-initialized to find a token that was missing: not while other
   * profiles hold keys on it (their session and object handles would go stale, and a module may
   * reuse the numbers for the new sessions). Default: always.
   */
  mayRescan?: (modulePath: string) => boolean;
}

/**
 * Background refreshes of one profile are at least this far apart (the provider's own floor is
 * 5 s): a long-running agent serving many programs can wait, and an endpoint that keeps issuing
 * nearly expired credentials must not see a CreateSession loop.
 */
export const MIN_REFRESH_INTERVAL_MS = 30_000;

function errorSummary(error: unknown): { code: string; message: string } {
  if (isAgentError(error)) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: 'unexpected error (see the agent log)' };
}

/**
 * Makes the profile's PKCS#11 module look for tokens again (C_Finalize + C_Initialize): many
 * modules, SoftHSM among them, only see a token that appeared after they were initialized once
 * re-initialized. Other tokens of the module reconnect on their next use.
 */
async function rescanTokens(modulePath: string): Promise<void> {
  const { loadPkcs11Module } = await import('../pkcs11/module');
  await loadPkcs11Module(modulePath).reinitialize();
}

/** The module a pkcs11 key source loads (resolved as the PKCS#11 layer resolves it). */
export function pkcs11ModulePath(key: ProfileConfig['key']): string | undefined {
  if (key.kind !== 'pkcs11') return undefined;
  try {
    return resolveModulePath(parsePkcs11Uri(key.uri), key.module).path;
  } catch {
    return undefined; // opening the key reports it
  }
}

/** Opens a profile's key: on its PKCS#11 token (never prompting) or from files. */
export async function openProfileSigner(
  config: ProfileConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Signer> {
  const { key } = config;
  if (key.kind === 'pkcs11') {
    const { fromPkcs11 } = await import('../signer/from-pkcs11');
    const pin = systemdCredentialPin(key.pinCredential, env);
    return fromPkcs11({
      uri: key.uri,
      sessions: sessionsToFeedSigningThreads(),
      ...(key.certificate === undefined ? {} : { certificate: key.certificate }),
      ...(key.intermediates === undefined ? {} : { intermediates: key.intermediates }),
      ...(key.module === undefined ? {} : { module: key.module }),
      ...(pin === undefined ? {} : { pin }),
      prompt: false,
    });
  }
  const { fromFile } = await import('../signer/from-file');
  return fromFile({
    certificate: key.certificate,
    ...(key.privateKey === undefined ? {} : { privateKey: key.privateKey }),
    ...(key.intermediates === undefined ? {} : { intermediates: key.intermediates }),
  });
}

/**
 * One profile of the agent: its key (opened once, shared with other profiles on the same
 * token by the PKCS#11 layer), and its credentials, kept fresh in memory by a cached provider
 * with background refresh, single-flight and backoff.
 */
export function createProfileRuntime(initial: ProfileConfig, options: ProfileRuntimeOptions): ProfileRuntime {
  let config = initial;
  const { logger } = options;
  const log = logger.child({ profile: config.name });
  const env = options.env ?? process.env;
  const counters: ProfileCounters = {
    createSession: 0,
    createSessionFailures: new Map(),
    signRoute: 0,
    signSession: 0,
    cacheHits: 0,
    cacheMisses: 0,
  };
  let serial: string | undefined;
  const open = options.openSigner ?? ((profile: ProfileConfig) => openProfileSigner(profile, env));
  /** The last open found no token: the module must look again before the next try. */
  let tokenMissing = false;
  /** ... but it could not, since other profiles use the module. */
  let rescanBlocked = false;
  const modulePath = pkcs11ModulePath(config.key);

  const managed: ManagedSigner = createManagedSigner(
    async () => {
      if (tokenMissing && modulePath !== undefined) {
        rescanBlocked = !(options.mayRescan?.(modulePath) ?? true);
        if (!rescanBlocked) await rescanTokens(modulePath);
      }
      let signer: Signer;
      try {
        signer = await open(config);
      } catch (error) {
        tokenMissing = isAgentError(error) && error.code === 'PKCS11_TOKEN_NOT_FOUND';
        throw error;
      }
      tokenMissing = false;
      serial = serialToDecimal(signer.certificate);
      log.info({ serial, keyType: signer.keyType }, 'key opened');
      return signer;
    },
    {
      label: `profile ${config.name}`,
      background: true,
      checkMs: config.key.kind === 'pkcs11' ? options.tokenCheckSeconds * 1000 : 0,
      ...(options.now ? { now: options.now } : {}),
      onChange(status, error) {
        if (status.state === 'unavailable') {
          log.warn(
            { error: errorSummary(error), retryAt: status.retryAt, needsReload: status.needsReload },
            'key unavailable',
          );
        } else {
          log.info({ state: status.state }, 'key available again');
        }
      },
    },
  );

  /** The signer CreateSession uses: the open one's certificate, signatures through the managed signer. */
  function sessionSigner(signer: Signer): Signer {
    return {
      keyType: signer.keyType,
      ...(signer.curve ? { curve: signer.curve } : {}),
      ...(signer.modulusBits ? { modulusBits: signer.modulusBits } : {}),
      algorithm: signer.algorithm,
      certificate: signer.certificate,
      chain: signer.chain,
      async sign(data, digest) {
        const signature = await managed.sign(data, digest);
        counters.signSession += 1;
        return signature;
      },
      async close() {},
    };
  }

  /** A certificate renewed on the token beside the key is used from the next refresh on. */
  async function pickUpRenewedCertificate(signer: Signer): Promise<void> {
    if (!signer.reloadCertificate) return;
    const before = signer.certificate.serialNumber;
    try {
      if (await signer.reloadCertificate())
        log.info(
          { previousSerial: before, serial: signer.certificate.serialNumber },
          'certificate renewed on the token: using the new one',
        );
    } catch (error) {
      // Keep the certificate in use: the refresh itself will say what is wrong if it matters.
      log.warn(
        { error: errorSummary(error) },
        'cannot re-read the certificate on the token; keeping the current one',
      );
    }
  }

  const fetch = async (): Promise<Credentials> => {
    const signer = await managed.signer();
    await pickUpRenewedCertificate(signer);
    counters.createSession += 1;
    try {
      return await createSession({
        signer: sessionSigner(signer),
        trustAnchorArn: config.trustAnchorArn,
        profileArn: config.profileArn,
        roleArn: config.roleArn,
        durationSeconds: config.durationSeconds,
        ...(config.region ? { region: config.region } : {}),
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...(config.roleSessionName ? { roleSessionName: config.roleSessionName } : {}),
        proxy: config.proxy,
        env,
        debug: (line) => log.debug(line),
      });
    } catch (error) {
      const code = errorSummary(error).code;
      counters.createSessionFailures.set(code, (counters.createSessionFailures.get(code) ?? 0) + 1);
      throw error;
    }
  };

  const provider: CachedProvider = createCachedProvider(fetch, {
    background: true,
    refreshAhead: { minIntervalMs: MIN_REFRESH_INTERVAL_MS },
    ...(options.now ? { now: options.now } : {}),
    onError(error, failure) {
      log.warn(
        {
          error: errorSummary(error),
          failures: failure.failures,
          permanent: failure.permanent,
          retryAt: failure.retryAt,
          servingCached: failure.servingCached,
        },
        'credential refresh failed',
      );
    },
    onRefresh(success) {
      log.info({ expiration: success.expiration, refreshAt: success.refreshAt }, 'credentials refreshed');
    },
  });

  return {
    get config() {
      return config;
    },
    counters,
    start() {
      provider().catch(() => {}); // failures are logged by onError and retried by the provider
    },
    async credentials() {
      // Through the provider even when cached: past the refresh point it starts the refresh
      // (a background timer may run late, e.g. after a suspend) and still answers from memory.
      const cached = provider.peek() !== undefined;
      if (cached) counters.cacheHits += 1;
      else counters.cacheMisses += 1;
      return { credentials: await provider(), cached };
    },
    signer: () => managed.signer(),
    async sign(data, digest) {
      const signature = await managed.sign(data, digest);
      counters.signRoute += 1;
      return signature;
    },
    serial: () => serial,
    modulePath: () => modulePath,
    keyOpened: () => managed.opened(),
    health() {
      const key = managed.status();
      const state = provider.status();
      const valid = provider.peek() !== undefined;
      const reasons: string[] = [];
      if (key.state === 'unavailable' && key.lastError) {
        reasons.push(
          `key unavailable (${key.lastError.code}): ${key.lastError.message}${key.needsReload ? '; fix it and reload the agent (SIGHUP)' : ''}`,
        );
        if (rescanBlocked && key.lastError.code === 'PKCS11_TOKEN_NOT_FOUND') {
          reasons.push(
            `module ${modulePath} cannot look for new tokens while other profiles use it: restart the agent once the token is plugged in`,
          );
        }
      }
      const lastError = state.failures > 0 ? errorSummary(state.lastError) : undefined;
      if (!valid) {
        reasons.push(
          lastError
            ? `no valid credentials: the last CreateSession failed (${lastError.code}): ${lastError.message}`
            : 'no valid credentials yet (first CreateSession in progress)',
        );
      } else if (lastError) {
        reasons.push(
          `credential refresh failing (${lastError.code}); serving cached credentials until they expire`,
        );
      }
      return {
        status: reasons.length === 0 ? 'ok' : 'degraded',
        reasons,
        key: { ...key, kind: config.key.kind },
        credentials: {
          valid,
          fetching: state.fetching,
          ...(state.expiration ? { expiration: state.expiration.toISOString() } : {}),
          ...(state.refreshAt ? { refreshAt: state.refreshAt.toISOString() } : {}),
          ...(state.fetchedAt ? { fetchedAt: state.fetchedAt.toISOString() } : {}),
          failures: state.failures,
          ...(state.retryAt ? { retryAt: state.retryAt.toISOString() } : {}),
          ...(lastError ? { lastError } : {}),
        },
      };
    },
    updateAccess(next) {
      config = { ...config, allow: next.allow, sign: next.sign, line: next.line };
    },
    async reloadCertificate() {
      if (!managed.opened()) return;
      // A key in backoff (token gone) keeps what it has; the next refresh checks again.
      const signer = await managed.signer().catch(() => undefined);
      if (signer) await pickUpRenewedCertificate(signer);
    },
    async close() {
      provider.close();
      await managed.close();
    },
  };
}
