import { existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { AgentError, describeError } from '../errors';
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

const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** Opened here, not by the writer: a path the agent cannot write stops it at start, saying so. */
function openAuditFile(path: string): number {
  try {
    // Its own directory may be created, not a whole tree (Node's recursive mkdir also loops for
    // ever under /proc).
    if (!existsSync(dirname(path))) mkdirSync(dirname(path), { mode: 0o750 });
    return openSync(path, 'a', 0o600);
  } catch (error) {
    throw new AgentError(
      'AUDIT_LOG_UNAVAILABLE',
      `cannot open the audit log ${path}: ${describeError(error)}`,
      {
        hint: 'give --audit-log (or auditLog in the config) a file the agent user may append to',
        cause: error,
      },
    );
  }
}

/**
 * JSON lines, one per request: to `path` (appended, created 0600) or to stderr. The lines of one
 * event-loop turn are written together, synchronously, right after it (setImmediate): one write
 * for many requests instead of a thread-pool round trip per line, which cost the busiest route
 * a fifth of its time (`npm run bench:agent`). A failed write is reported through `onError`
 * (once until writes succeed again) and never stops the agent.
 */
export function createAuditLog(options: { path?: string; onError?: (error: Error) => void } = {}): AuditLog {
  // Lines a failing disk cannot take are kept (and retried with the next write) up to maxLength.
  const destination = pino.destination({
    fd: options.path ? openAuditFile(options.path) : 2,
    sync: true,
    maxLength: MAX_PENDING_BYTES,
  });
  let failing = false;
  const fail = (error: Error) => {
    if (failing) return;
    failing = true;
    options.onError?.(error);
  };
  destination.on('error', fail);
  destination.on('drop', () =>
    fail(new Error(`audit lines dropped: more than ${MAX_PENDING_BYTES} bytes could not be written`)),
  );
  destination.on('write', () => {
    failing = false;
  });
  let pending = '';
  let scheduled = false;
  let closed = false;
  const writeOut = () => {
    scheduled = false;
    if (pending === '') return;
    const batch = pending;
    pending = '';
    try {
      destination.write(batch);
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  };
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
      pending += `${JSON.stringify(line)}\n`;
      if (!scheduled) {
        scheduled = true;
        setImmediate(writeOut);
      }
    },
    flush() {
      writeOut();
    },
    close() {
      if (closed) return Promise.resolve();
      writeOut();
      closed = true;
      // Everything writable was written by writeOut (sync mode). Not end() or flushSync(): both
      // would retry lines a full disk refuses for ever. stderr stays open.
      return new Promise((resolve) => {
        destination.once('close', () => resolve());
        destination.destroy();
      });
    },
  };
}
