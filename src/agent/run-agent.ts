import { setFlagsFromString } from 'node:v8';
import { AgentError, describeError } from '../errors';
import { createLogger } from '../log';
import { loadNative, type NativeBindings } from '../native';
import { type Agent, startAgent } from './agent';
import { ConfigError, formatIssue, loadAgentConfig } from './config';
import type { AgentConfig } from './config-types';

export interface RunAgentOptions {
  config: string;
  socket?: string;
  auditLog?: string;
  logLevel?: AgentConfig['logLevel'];
  /** Validate the config and return 0/1 without starting. */
  checkConfig?: boolean;
  /** Where the native addon is searched from (default: beside this module). */
  nativeFrom?: string;
  env?: NodeJS.ProcessEnv;
  /** Called once the agent listens (tests). */
  onStarted?: (agent: Agent) => void;
}

function printIssues(error: ConfigError): void {
  for (const issue of error.issues) process.stderr.write(`error: ${formatIssue(error.source, issue)}\n`);
  if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
}

/** Loads the native addon or refuses to start: without peer credentials nobody can be authorized. */
function nativeOrRefuse(from: string | undefined): NativeBindings {
  try {
    return loadNative(from === undefined ? {} : { from });
  } catch (error) {
    throw new AgentError(
      'NATIVE_UNAVAILABLE',
      `refusing to start: the native addon that identifies clients is unavailable (${describeError(error)})`,
      {
        hint: 'run scripts/setup.sh (or scripts/build-native.sh) to build native-bindings, then start again',
        cause: error,
      },
    );
  }
}

/**
 * The `agent` command: validates the config, loads the native addon (fail closed), turns core
 * dumps off, starts the agent, reloads on SIGHUP and drains on SIGTERM/SIGINT. Resolves with the
 * exit code once the agent has stopped.
 */
export async function runAgent(options: RunAgentOptions): Promise<number> {
  let config: AgentConfig;
  try {
    config = loadAgentConfig(options.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      printIssues(error);
      return 1;
    }
    throw error;
  }
  if (options.checkConfig) {
    const names = [...config.profiles.keys()];
    process.stdout.write(
      `config ${config.source} is valid: ${names.length} profile${names.length === 1 ? '' : 's'} (${names.join(', ')})\n`,
    );
    return 0;
  }

  const native = nativeOrRefuse(options.nativeFrom);
  native.disableCoreDumps();
  // The old generation grows by a fifth at a time instead of V8's default (up to double): a
  // long-running agent under steady load then stays near its live size (bench:agent). A V8
  // flag, not a Node one: an unknown flag here is ignored, where on the command line it would
  // stop node. The young generation's size is set by bin/rolesanywhere-agent.
  setFlagsFromString('--heap-growing-percent=20');
  const logger = createLogger({ level: options.logLevel ?? config.logLevel, name: 'rolesanywhere-agent' });
  const agent = await startAgent({
    config,
    native,
    logger,
    ...(options.socket === undefined ? {} : { socket: options.socket }),
    ...(options.auditLog === undefined ? {} : { auditLog: options.auditLog }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  options.onStarted?.(agent);

  return new Promise<number>((resolve) => {
    const onHangup = () => {
      agent.reload().catch((error) => {
        const issues =
          error instanceof ConfigError
            ? error.issues.map((issue) => formatIssue(config.source, issue))
            : undefined;
        logger.error(
          { error: describeError(error), ...(issues ? { issues } : {}) },
          'config reload failed; the previous config stays in force',
        );
      });
    };
    const onStop = (signal: NodeJS.Signals) => {
      process.off('SIGHUP', onHangup);
      logger.info({ signal }, 'stopping');
      agent.close().then(
        () => resolve(0),
        (error) => {
          logger.error({ error: describeError(error) }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGHUP', onHangup);
    process.once('SIGTERM', onStop);
    process.once('SIGINT', onStop);
  });
}
