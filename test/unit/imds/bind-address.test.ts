import { describe, expect, it } from 'vitest';
import { formatHostPort, isLoopbackAddress, resolveBindAddress } from '../../../src/imds/bind-address';

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (a) => {
      expect(isLoopbackAddress(a)).toBe(true);
    },
  );
  it.each(['0.0.0.0', '10.0.0.1', '::', '::2', 'fe80::1', '::ffff:10.0.0.1', '1::1', 'localhost', 'x'])(
    '%s is not',
    (a) => {
      expect(isLoopbackAddress(a)).toBe(false);
    },
  );
});

describe('resolveBindAddress', () => {
  it('takes loopback addresses, with or without brackets, and localhost as 127.0.0.1', () => {
    expect(resolveBindAddress('127.0.0.1', false)).toBe('127.0.0.1');
    expect(resolveBindAddress('[::1]', false)).toBe('::1');
    expect(resolveBindAddress('localhost', false)).toBe('127.0.0.1');
  });

  it('refuses other addresses unless remote serving is asked for explicitly', () => {
    expect(() => resolveBindAddress('0.0.0.0', false)).toThrow(
      expect.objectContaining({ code: 'NON_LOOPBACK_BIND', hint: expect.stringContaining('--allow-remote') }),
    );
    expect(() => resolveBindAddress('::', false)).toThrow(
      expect.objectContaining({ code: 'NON_LOOPBACK_BIND' }),
    );
    expect(resolveBindAddress('0.0.0.0', true)).toBe('0.0.0.0');
  });

  it('refuses host names and garbage', () => {
    expect(() => resolveBindAddress('metadata.example', true)).toThrow(
      expect.objectContaining({ code: 'INVALID_BIND_ADDRESS' }),
    );
  });

  it('formats host:port with IPv6 in brackets', () => {
    expect(formatHostPort('::1', 80)).toBe('[::1]:80');
    expect(formatHostPort('127.0.0.1', 80)).toBe('127.0.0.1:80');
  });
});
