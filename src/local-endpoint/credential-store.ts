import { randomBytes } from 'node:crypto';
import type { IssuedSession } from './types';

export interface CredentialStore {
  issue(session: Omit<IssuedSession, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>): IssuedSession;
  lookup(accessKeyId: string): IssuedSession | undefined;
  /** Drops sessions that expired before `now`, so a long-running endpoint does not grow. */
  prune(now: Date): void;
}

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function accessKeyId(): string {
  // ASIA marks temporary credentials, as STS issues them; 16 more base32 characters.
  const bytes = randomBytes(16);
  let id = 'ASIA';
  for (const byte of bytes) id += KEY_ID_ALPHABET[byte % 32];
  return id;
}

/** Temporary credentials the local endpoint issued, in memory for the endpoint's lifetime. */
export function createCredentialStore(): CredentialStore {
  const sessions = new Map<string, IssuedSession>();
  return {
    issue(session) {
      const issued: IssuedSession = {
        ...session,
        accessKeyId: accessKeyId(),
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(96).toString('base64'),
      };
      sessions.set(issued.accessKeyId, issued);
      return issued;
    },
    lookup(id) {
      return sessions.get(id);
    },
    prune(now) {
      for (const [id, session] of sessions) if (session.expiration <= now) sessions.delete(id);
    },
  };
}
