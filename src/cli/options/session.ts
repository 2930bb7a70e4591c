import type { Options } from 'yargs';
import type { CreateSessionOptions } from '../../rolesanywhere';
import type { Signer } from '../../signer/signer';

/** CreateSession flags of aws_signing_helper, same names, defaults and ranges. */
export const sessionOptions = {
  'trust-anchor-arn': {
    type: 'string',
    demandOption: true,
    describe: 'ARN of the trust anchor that trusts your CA',
  },
  'profile-arn': { type: 'string', demandOption: true, describe: 'ARN of the Roles Anywhere profile' },
  'role-arn': { type: 'string', demandOption: true, describe: 'ARN of the IAM role to assume' },
  'session-duration': {
    type: 'number',
    default: 3600,
    describe: 'credential lifetime in seconds (900..43200; the profile may cap it)',
  },
  region: { type: 'string', describe: "signing region (default: the trust anchor ARN's)" },
  endpoint: { type: 'string', describe: 'Roles Anywhere endpoint URL (default: the regional AWS one)' },
  'verify-ssl': {
    type: 'boolean',
    default: true,
    describe: 'verify the endpoint TLS certificate (--no-verify-ssl turns off)',
  },
  'with-proxy': {
    type: 'boolean',
    default: false,
    describe: 'go through HTTPS_PROXY/HTTP_PROXY, honouring NO_PROXY',
  },
  'role-session-name': { type: 'string', describe: 'role session name (the profile must accept it)' },
} as const satisfies Record<string, Options>;

export interface SessionArgs {
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  sessionDuration: number;
  region?: string;
  endpoint?: string;
  verifySsl: boolean;
  withProxy: boolean;
  roleSessionName?: string;
  debug?: boolean;
}

/** The createSession options the flags name, for one signer. */
export function sessionOptionsFromArgs(args: SessionArgs, signer: Signer): CreateSessionOptions {
  return {
    signer,
    trustAnchorArn: args.trustAnchorArn,
    profileArn: args.profileArn,
    roleArn: args.roleArn,
    durationSeconds: args.sessionDuration,
    ...(args.region ? { region: args.region } : {}),
    ...(args.endpoint ? { endpoint: args.endpoint } : {}),
    ...(args.roleSessionName ? { roleSessionName: args.roleSessionName } : {}),
    verifyTls: args.verifySsl,
    proxy: args.withProxy,
    ...(args.debug ? { debug: writeDebug } : {}),
  };
}

/** One debug message on stderr; each further line of it (a canonical request) indented under the first. */
export function formatDebug(message: string): string {
  return `debug: ${message.split('\n').join('\ndebug:   ')}\n`;
}

function writeDebug(message: string): void {
  process.stderr.write(formatDebug(message));
}
