import type { RefreshFailure, RefreshSuccess } from '../../../credentials/cached-provider';
import { createCachedProvider } from '../../../credentials/cached-provider';
import { updateCredentialsFile } from '../../../credentials/credentials-file';
import { credentialsFilePath } from '../../../credentials/credentials-file-path';
import { checkProfileName } from '../../../credentials/ini-profile';
import { AgentError, describeError, isAgentError } from '../../../errors';
import { createSession } from '../../../rolesanywhere';
import { resolveSessionInput } from '../../../rolesanywhere/session-input';
import { type KeySourceArgs, signerFromArgs } from '../../options/key-source';
import { type SessionArgs, sessionOptionsFromArgs } from '../../options/session';
import { exitSoon, watchSignals } from './signals';

export interface UpdateArgs extends KeySourceArgs, SessionArgs {
  profile: string;
  once: boolean;
}

const log = (line: string) => process.stderr.write(`update: ${line}\n`);

/** The flags' session inputs, checked before a key is opened or a PIN asked for. */
export function checkSessionArgs(args: SessionArgs) {
  return resolveSessionInput({
    trustAnchorArn: args.trustAnchorArn,
    profileArn: args.profileArn,
    roleArn: args.roleArn,
    durationSeconds: args.sessionDuration,
    ...(args.region ? { region: args.region } : {}),
    ...(args.endpoint ? { endpoint: args.endpoint } : {}),
    ...(args.roleSessionName ? { roleSessionName: args.roleSessionName } : {}),
  });
}

/** What failed, on one line (error messages never hold secrets). */
export function failureReason(error: unknown): string {
  const reason = isAgentError(error) ? `${error.code}: ${error.message}` : describeError(error);
  return reason.replace(/\s*\n\s*/g, ' ');
}

/** One line about a failed refresh: what failed, what the file still holds, when the next try is. */
export function describeFailure(error: unknown, failure: RefreshFailure, path: string): string {
  const reason = failureReason(error);
  const kept = failure.cachedExpiration
    ? `${path} keeps credentials valid until ${failure.cachedExpiration.toISOString()}`
    : `${path} holds no valid credentials from this run`;
  return `refresh failed (${reason}); ${kept}; next attempt at ${failure.retryAt.toISOString()} (failure ${failure.failures}${failure.permanent ? ', needs a configuration change' : ''})`;
}

/**
 * Writes the profile with fresh credentials, then (without --once) keeps it fresh: the cached
 * provider refreshes ahead of expiry on a timer, each refresh rewrites the profile atomically,
 * failures are logged and retried with backoff while the file keeps the last good credentials.
 * The key is opened once. SIGTERM/SIGINT end the run after a write in progress has finished.
 */
export async function run(args: UpdateArgs): Promise<void> {
  checkProfileName(args.profile);
  checkSessionArgs(args);
  const path = credentialsFilePath();
  const signer = await signerFromArgs(args);
  const sessionOptions = sessionOptionsFromArgs(args, signer);
  let stopping = false;
  let writing: Promise<void> | undefined;
  let written = false;

  const fetchAndWrite = async () => {
    const credentials = await createSession(sessionOptions);
    if (stopping) {
      throw new AgentError('STOPPING', 'update is stopping: the new credentials were not written');
    }
    writing = updateCredentialsFile(path, args.profile, credentials);
    try {
      await writing;
      written = true;
    } finally {
      writing = undefined;
    }
    return credentials;
  };

  const provider = createCachedProvider(fetchAndWrite, {
    background: !args.once,
    ...(args.once
      ? {}
      : {
          onRefresh: (success: RefreshSuccess) =>
            log(
              `wrote profile ${args.profile} of ${path}: credentials expire at ${success.expiration.toISOString()}, next refresh at ${success.refreshAt.toISOString()}`,
            ),
          onError: (error: unknown, failure: RefreshFailure) => {
            if (!stopping) log(describeFailure(error, failure, path));
          },
        }),
  });
  const signals = watchSignals();
  try {
    if (args.once) {
      const outcome = await Promise.race([provider.refresh().then(() => undefined), signals.stopped]);
      if (outcome !== undefined) {
        stopping = true;
        await writing?.catch(() => {});
        if (!written) {
          throw new AgentError(
            'INTERRUPTED',
            `update --once was stopped by ${outcome} before it wrote ${path}`,
            {
              hint: 'the credentials file was left as it was; run the command again',
            },
          );
        }
      }
      return;
    }
    provider().catch(() => {}); // failures are logged by onError and retried by the provider
    // The provider's timer is unref'd; this keeps the process up until a signal.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    const signal = await signals.stopped;
    clearInterval(keepAlive);
    stopping = true;
    provider.close();
    await writing?.catch(() => {});
    log(`stopped by ${signal}`);
  } finally {
    signals.dispose();
    provider.close();
    await signer.close();
    exitSoon();
  }
}
