import type { Options } from 'yargs';
import { UsageError } from '../usage-error';
import { sessionOptions } from './session';

/** `credential-process --agent [SOCKET] --profile NAME`: the credentials come from the running agent. */
export const agentSourceOptions = {
  agent: {
    type: 'string',
    describe:
      'get the credentials from the running agent; SOCKET defaults to $ROLESANYWHERE_AGENT_SOCKET, else the default socket',
  },
  profile: { type: 'string', describe: 'agent profile to read (with --agent)' },
} as const satisfies Record<string, Options>;

export interface AgentSourceArgs {
  agent?: string;
  profile?: string;
}

const SESSION_FLAGS = ['trust-anchor-arn', 'profile-arn', 'role-arn'] as const;
/** Flags that name a key or a CreateSession: meaningless when the agent holds both. */
const DIRECT_FLAGS = [
  ...SESSION_FLAGS,
  'certificate',
  'private-key',
  'intermediates',
  'pkcs11-lib',
  'pkcs8-password',
  'role-session-name',
  'endpoint',
  'region',
] as const;

/**
 * The CreateSession flags with the ARNs no longer demanded by yargs: agentSourceCheck demands
 * them unless --agent is given.
 */
export const sessionOptionsUnlessAgent = Object.fromEntries(
  Object.entries(sessionOptions).map(([name, option]) => {
    const { demandOption, ...rest } = option as Options;
    return [name, demandOption ? { ...rest, describe: `${rest.describe} (required without --agent)` } : rest];
  }),
) as { [K in keyof typeof sessionOptions]: Omit<(typeof sessionOptions)[K], 'demandOption'> };

export function usesAgent(args: AgentSourceArgs): boolean {
  return args.agent !== undefined;
}

/** yargs .check(): --agent needs --profile and excludes key/session flags; without it the ARNs are required. */
export function agentSourceCheck(argv: Record<string, unknown>): true {
  if (argv.agent !== undefined) {
    if (typeof argv.profile !== 'string' || argv.profile === '') {
      throw new UsageError('--agent needs --profile NAME (the agent profile to read)');
    }
    const mixed = DIRECT_FLAGS.filter((flag) => argv[flag] !== undefined);
    if (mixed.length > 0) {
      throw new UsageError(
        `--agent takes the key and the session from the agent's profile: leave out ${mixed.map((flag) => `--${flag}`).join(', ')}`,
      );
    }
    return true;
  }
  if (argv.profile !== undefined) throw new UsageError('--profile is only used with --agent');
  const missing = SESSION_FLAGS.filter((flag) => argv[flag] === undefined);
  // yargs' own wording, as when the flags were demanded outright.
  if (missing.length > 0) {
    throw new UsageError(`Missing required argument${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  }
  return true;
}

/** The credential_process JSON line for the agent's credentials, checked complete before it is printed. */
export async function processOutputFromAgent(args: AgentSourceArgs): Promise<string> {
  const { getCredentials } = await import('../../agent-client/client');
  const { resolveAgentSocket } = await import('../../agent-client/socket');
  const { formatProcessOutput } = await import('../../credentials/process-output');
  return formatProcessOutput(
    await getCredentials(resolveAgentSocket(args.agent || undefined), args.profile as string),
  );
}
