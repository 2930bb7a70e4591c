/**
 * ISO-8601 in UTC with a 'Z' and no fraction ("2030-01-01T00:00:00Z"), as AWS returns and as
 * the Go helper prints (RFC 3339). Milliseconds are dropped, never rounded up, so the printed
 * expiry is never later than the real one.
 */
export function isoSeconds(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('invalid date');
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
