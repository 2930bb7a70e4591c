import type { RefreshFailure, RefreshSuccess } from '../../../credentials/cached-provider';
import { createCachedProvider } from '../../../credentials/cached-provider';
import { AgentError } from '../../../errors';
import { checkHopLimit, resolveBindAddress, startImdsServer } from '../../../imds';
import { loadNative, socketFd } from '../../../native';
import { createSession } from '../../../rolesanywhere';
import { type KeySourceArgs, signerFromArgs } from '../../options/key-source';
import { type SessionArgs, sessionOptionsFromArgs } from '../../options/session';
import { checkSessionArgs, failureReason } from '../update/handler';
import { exitSoon, watchSignals } from '../update/signals';

export interface ServeArgs extends KeySourceArgs, SessionArgs {
  port: number;
  bind: string;
  allowRemote: boolean;
  hopLimit: number;
}

const log = (line: string) => process.stderr.write(`serve: ${line}\n`);

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new AgentError('INVALID_PORT', `--port ${port} is not a TCP port number from 0 to 65535`, {
      hint: 'use 9911 (the default), or 0 for any free port',
    });
  }
  return port;
}

function describeFailure(error: unknown, failure: RefreshFailure): string {
  const reason = failureReason(error);
  const serving = failure.cachedExpiration
    ? `serving the cached credentials until ${failure.cachedExpiration.toISOString()}`
    : 'no valid credentials: requests get 500';
  return `refresh failed (${reason}); ${serving}; next attempt at ${failure.retryAt.toISOString()} (failure ${failure.failures})`;
}

/**
 * The IMDSv2 endpoint: opens the key once, fetches credentials at start and keeps them fresh
 * in the background (one CreateSession at a time), and serves them until SIGTERM/SIGINT.
 * Prints `listening on http://<addr>:<port>` on stdout once it accepts connections.
 */
export async function run(args: ServeArgs): Promise<void> {
  const host = resolveBindAddress(args.bind, args.allowRemote);
  const port = checkPort(args.port);
  const hopLimit = checkHopLimit(args.hopLimit);
  // The hop limit goes on every accepted socket through the native addon (Node.js cannot set a
  // TCP socket's TTL); without the addon serve does not start, rather than serve further than asked.
  const native = loadNative();
  const input = checkSessionArgs(args);
  const signer = await signerFromArgs(args);
  const sessionOptions = sessionOptionsFromArgs(args, signer);
  let stopping = false;
  const provider = createCachedProvider(() => createSession(sessionOptions), {
    background: true,
    onRefresh: (success: RefreshSuccess) =>
      log(
        `credentials refreshed: they expire at ${success.expiration.toISOString()}, next refresh at ${success.refreshAt.toISOString()}`,
      ),
    onError: (error: unknown, failure: RefreshFailure) => {
      if (!stopping) log(describeFailure(error, failure));
    },
  });
  const signals = watchSignals();
  try {
    const server = await startImdsServer({
      host,
      port,
      provider,
      roleName: input.role.resourceId,
      profileArn: input.profile.arn,
      lastUpdated: () => provider.status().fetchedAt,
      log,
      onConnection: (socket) => native.setHopLimit(socketFd(socket), hopLimit),
    });
    process.stdout.write(`listening on ${server.url}\n`);
    provider().catch(() => {}); // warm the cache; a failure is logged and retried
    const signal = await signals.stopped;
    stopping = true;
    await server.close();
    log(`stopped by ${signal}`);
  } finally {
    signals.dispose();
    provider.close();
    await signer.close();
    exitSoon();
  }
}
