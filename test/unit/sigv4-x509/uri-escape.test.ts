import { describe, expect, it } from 'vitest';
import { uriEscape } from '../../../src/sigv4-x509/uri-escape';

describe('uriEscape', () => {
  it('leaves only the RFC 3986 unreserved characters alone', () => {
    expect(uriEscape('AZaz09-_.~')).toBe('AZaz09-_.~');
  });

  it('encodes reserved and sub-delim characters with upper-case hex, including those encodeURIComponent keeps', () => {
    expect(uriEscape(":/?#[]@!$&'()*+,;= ")).toBe(
      '%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%20',
    );
  });

  it('encodes UTF-8 bytes and an existing percent sign', () => {
    expect(uriEscape('ü€%')).toBe('%C3%BC%E2%82%AC%25');
  });
});
