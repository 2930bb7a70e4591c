import pino from 'pino';
import type { Peer } from './peer';

export type AuditOperation = 'credentials' | 'certificate' | 'sign' | 'health' | 'metrics' | 'unknown';

/** One audit line: who asked for what, and what happened. Never a secret or the signed data. */
export interface AuditRecord {
  operation: AuditOperation;
  outcome: 'ok' | 'denied' | 'error';
  status: number;
  profile?: string;
  peer?: Peer;
  /** Certificate serial (decimal) of the profile's key. */
  serial?: string;
  /** Error code of a refusal or failure. */
  code?: string;
  /** Digest of a sign request. */
  digest?: string;
}

export interface AuditLog {
  record(entry: AuditRecord): void;
  /** Writes out what is buffered. */
  flush(): void;
  close(): Promise<void>;
}

/**
 * JSON lines, one per request: to `path` (appended, created 0600) or to stderr. Writes are
 * asynchronous (the request path must not wait on the disk) and flushed on close.
 */
export function createAuditLog(options: { path?: string } = {}): AuditLog {
  const destination = options.path
    ? pino.destination({ dest: options.path, append: true, mkdir: true, sync: false, mode: 0o600 })
    : pino.destination({ fd: 2, sync: false });
  let closed = false;
  return {
    record(entry) {
      if (closed) return;
      // Fields are picked one by one: nothing the caller did not mean to log can slip in.
      const line = {
        time: new Date().toISOString(),
        audit: true,
        operation: entry.operation,
        outcome: entry.outcome,
        status: entry.status,
        ...(entry.profile === undefined ? {} : { profile: entry.profile }),
        ...(entry.peer ? { uid: entry.peer.uid, gid: entry.peer.gid, pid: entry.peer.pid } : {}),
        ...(entry.serial === undefined ? {} : { serial: entry.serial }),
        ...(entry.code === undefined ? {} : { code: entry.code }),
        ...(entry.digest === undefined ? {} : { digest: entry.digest }),
      };
      destination.write(`${JSON.stringify(line)}\n`);
    },
    flush() {
      try {
        destination.flushSync();
      } catch {
        // Not ready yet (nothing written) or already closed.
      }
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => {
        try {
          destination.flushSync();
        } catch {
          // Nothing buffered.
        }
        if (options.path) {
          destination.once('close', () => resolve());
          destination.end();
        } else {
          resolve();
        }
      });
    },
  };
}
