import { uriEscape } from './uri-escape';

/**
 * The canonical URI of SigV4 for every service but S3: the path as sent (already
 * percent-encoded once), with empty, "." and ".." segments resolved, then each segment
 * encoded again. "/sessions" stays "/sessions"; "/a b" sent as "/a%20b" becomes "/a%2520b".
 */
export function createCanonicalUri(path: string): string {
  if (path === '') return '/';
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEscape).join('/')}${trailing}`;
}
