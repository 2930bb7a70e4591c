import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { hashPayload } from '../../../src/sigv4-x509/hashed-payload';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('hashPayload', () => {
  it('hashes an absent body as the empty string', () => {
    expect(hashPayload(undefined)).toBe(EMPTY);
    expect(hashPayload('')).toBe(EMPTY);
    expect(hashPayload(new Uint8Array(0))).toBe(EMPTY);
  });

  it('hashes strings as UTF-8 and bytes as given', () => {
    expect(hashPayload('{"durationSeconds":3600}')).toBe(
      '1a15f67f6619aa540b13e9a4c37d149fb2c9bdea25d82b73a3878826694dfe27',
    );
    expect(hashPayload(new TextEncoder().encode('{"durationSeconds":3600}'))).toBe(
      '1a15f67f6619aa540b13e9a4c37d149fb2c9bdea25d82b73a3878826694dfe27',
    );
    expect(hashPayload('ü')).toBe(hashPayload(new Uint8Array([0xc3, 0xbc])));
  });

  it('refuses a body it cannot hash ahead of sending', () => {
    let error: unknown;
    try {
      hashPayload({ pipe() {} });
    } catch (caught) {
      error = caught;
    }
    expect(isAgentError(error) && error.code).toBe('BODY_UNSUPPORTED');
  });
});
