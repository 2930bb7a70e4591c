import { statSync } from 'node:fs';
import type { ProfileConfig } from './config-types';

function fileStamp(path: string | undefined): string | undefined {
  if (path === undefined || path.startsWith('pkcs11:')) return path;
  try {
    const stats = statSync(path);
    return `${path}@${stats.size}:${stats.mtimeMs}:${stats.ino}`;
  } catch {
    return `${path}@missing`;
  }
}

/**
 * What makes a profile's key and credentials what they are: everything but its access lists.
 * Equal fingerprints across a reload keep the open key and the cached credentials; a renewed
 * certificate or key file (new size, mtime or inode) counts as a change.
 */
export function profileFingerprint(profile: ProfileConfig): string {
  const { allow: _allow, sign: _sign, line: _line, ...identity } = profile;
  const key = identity.key;
  const files =
    key.kind === 'file'
      ? [fileStamp(key.certificate), fileStamp(key.privateKey), fileStamp(key.intermediates)]
      : [fileStamp(key.certificate), fileStamp(key.intermediates)];
  return JSON.stringify({ identity, files });
}
