import { appendFileSync } from 'node:fs';

/** One CloudTrail-like record per CreateSession: who asked, with which certificate, and what came of it. */
export interface CreateSessionAuditRecord {
  time: string;
  event: 'CreateSession';
  sourceAddress: string;
  certificateSerial?: string;
  subject?: string;
  trustAnchorArn?: string;
  profileArn?: string;
  roleArn?: string;
  roleSessionName?: string;
  outcome: 'success' | 'failure';
  errorCode?: string;
  reason?: string;
}

export interface AuditLog {
  record(entry: Omit<CreateSessionAuditRecord, 'time' | 'event'>, now?: Date): void;
}

/** JSON lines appended to `path` (synchronously, so a record is on disk before the answer leaves). */
export function createAuditLog(path: string | undefined): AuditLog {
  return {
    record(entry, now = new Date()) {
      if (!path) return;
      const line: CreateSessionAuditRecord = { time: now.toISOString(), event: 'CreateSession', ...entry };
      appendFileSync(path, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    },
  };
}
