/** Who may use a profile: peers whose uid, or whose primary gid, is listed. Names are resolved at load. */
export interface Principals {
  uids: readonly number[];
  gids: readonly number[];
}

/** Where a profile's private key lives. */
export type KeySource =
  | {
      kind: 'pkcs11';
      uri: string;
      certificate?: string;
      intermediates?: string;
      module?: string;
      pinCredential?: string;
    }
  | { kind: 'file'; certificate: string; privateKey?: string; intermediates?: string };

export interface ProfileConfig {
  name: string;
  key: KeySource;
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  region?: string;
  endpoint?: string;
  durationSeconds: number;
  roleSessionName?: string;
  /** Go through HTTPS_PROXY / HTTP_PROXY (NO_PROXY honoured). */
  proxy: boolean;
  /** Peers that may read credentials and the certificate. */
  allow: Principals;
  /** Peers that may have raw data signed (a stronger right: it is the key itself). */
  sign: Principals;
  /** Line of the profile in the config file, for messages. */
  line?: number;
}

export interface AgentLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderBytes: number;
  drainTimeoutMs: number;
}

export interface AgentConfig {
  /** The file it was read from (absolute). */
  source: string;
  socket?: string;
  /** Group (gid) that owns the socket; its mode is then 0660 instead of 0600. */
  socketGroup?: number;
  auditLog?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Seconds between token liveness checks of an idle PKCS#11 profile; 0 turns them off. */
  tokenCheckSeconds: number;
  /** Signing threads per PKCS#11 module (default: one per core but one); applies at start. */
  signingThreads?: number;
  limits: AgentLimits;
  profiles: ReadonlyMap<string, ProfileConfig>;
}

export const DEFAULT_LIMITS: AgentLimits = {
  maxConnections: 512,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 15_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 8 * 1024,
  drainTimeoutMs: 10_000,
};

/** Request bodies (the sign route's JSON) larger than this get 413. */
export const MAX_BODY_BYTES = 64 * 1024;
