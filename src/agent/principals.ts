import { readFileSync } from 'node:fs';

/** Name-to-id lookups over /etc/passwd and /etc/group (files, not NSS: the agent must not depend on LDAP being up). */
export interface PrincipalDirectory {
  uidOf(name: string): number | undefined;
  gidOf(name: string): number | undefined;
}

/** name:x:id:... lines; comments, blanks and NIS "+" lines are skipped. */
function parseIds(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name, , id] = line.split(':');
    if (!name || id === undefined || !/^\d+$/.test(id)) continue;
    if (!ids.has(name)) ids.set(name, Number(id));
  }
  return ids;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function readPrincipalDirectory(paths: { passwd?: string; group?: string } = {}): PrincipalDirectory {
  const users = parseIds(readOrEmpty(paths.passwd ?? '/etc/passwd'));
  const groups = parseIds(readOrEmpty(paths.group ?? '/etc/group'));
  return { uidOf: (name) => users.get(name), gidOf: (name) => groups.get(name) };
}

/** A uid/gid as config files give it: a number, a numeric string, or a name. */
export function resolveId(
  value: unknown,
  lookup: (name: string) => number | undefined,
): { id: number } | { error: string } {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 && value <= 0xfffffffe
      ? { id: value }
      : { error: `${value} is not a valid id` };
  }
  if (typeof value !== 'string' || value === '') return { error: 'must be a user/group name or a number' };
  if (/^\d+$/.test(value)) return resolveId(Number(value), lookup);
  const id = lookup(value);
  return id === undefined ? { error: `"${value}" is not a known name` } : { id };
}
