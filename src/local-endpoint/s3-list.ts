import { compareKeys } from './s3-keys';

export interface ListInput {
  /** Keys already filtered by prefix, in S3 order. */
  keys: string[];
  prefix: string;
  delimiter: string | undefined;
  maxKeys: number;
  /** Exclusive start: a key, or a common prefix whose whole group was already returned. */
  after: { value: string; isPrefix: boolean } | undefined;
}

export interface ListPage {
  contents: string[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last entry returned, where the next page starts after. */
  last: { value: string; isPrefix: boolean } | undefined;
}

/**
 * One page of a listing: keys and common prefixes (a delimiter rolls keys up into their
 * prefix) counted together against max-keys, as S3 counts them.
 */
export function listPage(input: ListInput): ListPage {
  const { keys, prefix, delimiter, maxKeys, after } = input;
  const page: ListPage = { contents: [], commonPrefixes: [], truncated: false, last: undefined };
  let count = 0;
  for (const key of keys) {
    if (after && (compareKeys(key, after.value) <= 0 || (after.isPrefix && key.startsWith(after.value))))
      continue;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (delimiter && at >= 0) {
      const common = key.slice(0, at + delimiter.length);
      if (common === page.last?.value && page.last.isPrefix) continue;
      if (count === maxKeys) {
        page.truncated = true;
        break;
      }
      page.commonPrefixes.push(common);
      page.last = { value: common, isPrefix: true };
    } else {
      if (count === maxKeys) {
        page.truncated = true;
        break;
      }
      page.contents.push(key);
      page.last = { value: key, isPrefix: false };
    }
    count++;
  }
  return page;
}

/** Continuation tokens are opaque to clients; ours carry where the page ended. */
export function encodeContinuationToken(last: { value: string; isPrefix: boolean }): string {
  return Buffer.from(JSON.stringify({ k: last.value, p: last.isPrefix }), 'utf8').toString('base64url');
}

export function decodeContinuationToken(token: string): { value: string; isPrefix: boolean } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      k?: unknown;
      p?: unknown;
    };
    if (typeof parsed.k !== 'string') return undefined;
    return { value: parsed.k, isPrefix: parsed.p === true };
  } catch {
    return undefined;
  }
}
