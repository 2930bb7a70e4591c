/**
 * RFC 3986 percent-encoding as SigV4 wants it: every byte except the unreserved
 * characters A-Z a-z 0-9 - _ . ~ becomes %XX with upper-case hex, UTF-8 first.
 * encodeURIComponent leaves ! ' ( ) * alone, so those are encoded on top.
 */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
