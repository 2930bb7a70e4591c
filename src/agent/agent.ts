import type { Logger } from 'pino';
import { AgentError } from '../errors';
import { createLogger } from '../log';
import type { NativeBindings } from '../native';
import { socketFd } from '../native';
import { useAgentSigningThreads } from '../pkcs11/native-sign';
import type { Signer } from '../signer/signer';
import { createAgentMetrics } from './agent-metrics';
import { createAgentServer } from './agent-server';
import { type AuditLog, createAuditLog } from './audit-log';
import { loadAgentConfig } from './config';
import type { AgentConfig, ProfileConfig } from './config-types';
import { defaultSocketPath } from './default-socket';
import { profileFingerprint } from './fingerprint';
import { type Listening, listenOnSocket } from './listen';
import { createProfileRuntime, type ProfileRuntime } from './profile-runtime';

export interface AgentOptions {
  config: AgentConfig;
  /** Reads the config again on reload; default: the file the config came from. */
  loadConfig?: () => AgentConfig;
  /** Socket path (--socket); default the config's, else the default path for this user. */
  socket?: string;
  /** Audit log file (--audit-log); default the config's, else stderr. */
  auditLog?: string;
  logger?: Logger;
  /**
   * The native addon: peer credentials (required: without them nobody could be authorized) and,
   * where given, memory trimming after busy periods.
   */
  native: Pick<NativeBindings, 'peerCredentials'> & Partial<Pick<NativeBindings, 'trimMemory'>>;
  /** Clock for credentials and backoff; tests pass a controlled one. */
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
  /** Opens a profile's key (default: fromPkcs11 / fromFile from its config). */
  openSigner?: (profile: ProfileConfig) => Promise<Signer>;
}

export interface ReloadResult {
  kept: string[];
  restarted: string[];
  added: string[];
  removed: string[];
}

const TRIM_INTERVAL_MS = 2_000;

export interface Agent {
  /** The socket path; undefined with systemd socket activation. */
  readonly socketPath: string | undefined;
  readonly profiles: ReadonlyMap<string, ProfileRuntime>;
  /** Re-reads the config: unchanged profiles keep their key and cached credentials. */
  reload(): Promise<ReloadResult>;
  /** Stops accepting, finishes requests in flight, closes keys and the socket. */
  close(): Promise<void>;
}

/**
 * Starts the signing agent: one runtime per profile (key opened and credentials fetched in the
 * background), an HTTP/1.1 server on the Unix socket, audit log and metrics.
 */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  let config = options.config;
  const startedWith = config;
  // The event loop serves the socket: token signatures get the other cores unless the config says
  // otherwise (set before any key opens).
  useAgentSigningThreads(config.signingThreads);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const env = options.env ?? process.env;
  const clock = options.now ?? (() => new Date());
  const socketPath = options.socket ?? config.socket ?? defaultSocketPath(process.getuid?.() ?? 0, env);
  if (socketPath === undefined) {
    throw new AgentError(
      'SOCKET_PATH_REQUIRED',
      'no socket path: XDG_RUNTIME_DIR is not set and the agent does not run as root',
      {
        hint: 'give --socket PATH (in a directory only the agent user can write)',
      },
    );
  }
  const auditPath = options.auditLog ?? config.auditLog;
  const audit: AuditLog = createAuditLog({
    ...(auditPath === undefined ? {} : { path: auditPath }),
    onError: (error) => logger.error({ error: error.message }, 'cannot write the audit log'),
  });
  const metrics = createAgentMetrics();
  const runtimes = new Map<string, ProfileRuntime>();
  const fingerprints = new Map<string, string>();

  const createRuntime = (profile: ProfileConfig): ProfileRuntime => {
    const runtime: ProfileRuntime = createProfileRuntime(profile, {
      logger,
      tokenCheckSeconds: config.tokenCheckSeconds,
      env,
      // A module is re-initialized (to see a new token) only when no other profile holds keys on it.
      mayRescan: (path) =>
        ![...runtimes.values()].some(
          (other) => other !== runtime && other.modulePath() === path && other.keyOpened(),
        ),
      ...(options.now ? { now: options.now } : {}),
      ...(options.openSigner ? { openSigner: options.openSigner } : {}),
    });
    return runtime;
  };

  for (const profile of config.profiles.values()) {
    runtimes.set(profile.name, createRuntime(profile));
    fingerprints.set(profile.name, profileFingerprint(profile));
  }

  const agentServer = createAgentServer({
    profile: (name) => runtimes.get(name),
    profiles: () => runtimes.values(),
    readPeer: (socket) => options.native.peerCredentials(socketFd(socket)),
    audit,
    metrics,
    logger,
    limits: config.limits,
    startedAt: Date.now(),
    now: () => clock().getTime(),
  });

  let listening: Listening;
  try {
    listening = await listenOnSocket(agentServer.server, {
      path: socketPath,
      backlog: Math.min(4096, Math.max(511, config.limits.maxConnections)),
      ...(config.socketGroup === undefined ? {} : { group: config.socketGroup }),
      env,
    });
  } catch (error) {
    await Promise.all([...runtimes.values()].map((runtime) => runtime.close()));
    await audit.close();
    throw error;
  }
  for (const runtime of runtimes.values()) runtime.start();
  logger.info(
    {
      socket: listening.path ?? '(systemd socket)',
      activated: listening.activated,
      profiles: [...runtimes.keys()],
    },
    'agent listening',
  );

  // glibc keeps what a burst of requests freed (buffers, the token library's allocations) in its
  // arenas; after each busy period the agent gives it back, so its RSS follows its live size.
  let handledAtTrim = agentServer.handled();
  const trimTimer = setInterval(() => {
    const handled = agentServer.handled();
    if (handled === handledAtTrim) return;
    handledAtTrim = handled;
    options.native.trimMemory?.();
  }, TRIM_INTERVAL_MS);
  trimTimer.unref();

  let closing: Promise<void> | undefined;
  let reloading: Promise<ReloadResult> | undefined;

  async function applyReload(): Promise<ReloadResult> {
    const next = (options.loadConfig ?? (() => loadAgentConfig(config.source)))();
    const result: ReloadResult = { kept: [], restarted: [], added: [], removed: [] };
    const retired: ProfileRuntime[] = [];
    for (const [name, runtime] of runtimes) {
      if (!next.profiles.has(name)) {
        runtimes.delete(name);
        fingerprints.delete(name);
        retired.push(runtime);
        result.removed.push(name);
      }
    }
    config = next;
    const started: ProfileRuntime[] = [];
    for (const profile of next.profiles.values()) {
      const fingerprint = profileFingerprint(profile);
      const existing = runtimes.get(profile.name);
      if (existing && fingerprints.get(profile.name) === fingerprint) {
        existing.updateAccess(profile);
        // A certificate renewed on the token is taken now rather than at the next refresh.
        await existing.reloadCertificate();
        result.kept.push(profile.name);
        continue;
      }
      const runtime = createRuntime(profile);
      runtimes.set(profile.name, runtime);
      fingerprints.set(profile.name, fingerprint);
      started.push(runtime);
      if (existing) {
        retired.push(existing);
        result.restarted.push(profile.name);
      } else {
        result.added.push(profile.name);
      }
    }
    // New keys open before old ones close: a token shared with a kept profile stays logged in.
    for (const runtime of started) runtime.start();
    await Promise.all(retired.map((runtime) => runtime.close()));
    if (next.socket !== undefined && options.socket === undefined && next.socket !== socketPath) {
      logger.warn(
        { socket: next.socket },
        'the socket path changed in the config; it applies at the next restart',
      );
    }
    if (next.signingThreads !== startedWith.signingThreads) {
      logger.warn(
        { signingThreads: next.signingThreads ?? 'default' },
        'signingThreads changed in the config; it applies at the next restart',
      );
    }
    logger.info(result, 'config reloaded');
    return result;
  }

  return {
    socketPath: listening.path,
    get profiles() {
      return runtimes;
    },
    reload() {
      if (closing) return Promise.reject(new AgentError('AGENT_CLOSING', 'the agent is shutting down'));
      // One reload at a time; a second SIGHUP during one waits and then reloads again.
      const run = (reloading ?? Promise.resolve()).catch(() => undefined).then(() => applyReload());
      reloading = run;
      run
        .finally(() => {
          if (reloading === run) reloading = undefined;
        })
        .catch(() => {});
      return run;
    },
    close() {
      closing ??= (async () => {
        clearInterval(trimTimer);
        logger.info({ inFlight: agentServer.inFlight() }, 'draining');
        await agentServer.drain(config.limits.drainTimeoutMs);
        listening.remove();
        await Promise.all([...runtimes.values()].map((runtime) => runtime.close().catch(() => {})));
        await audit.close();
        logger.info('agent stopped');
      })();
      return closing;
    },
  };
}
