import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import {
  canonicalHeaderValue,
  createCanonicalHeaders,
  headerValues,
  selectSignedHeaders,
} from '../../../src/sigv4-x509/canonical-headers';

describe('canonicalHeaderValue', () => {
  it.each([
    ['application/json', 'application/json'],
    ['  padded  ', 'padded'],
    ['a   b    c', 'a b c'],
    ['tab\tand  space', 'tab and space'],
    ['', ''],
  ])('%j -> %j', (value, expected) => {
    expect(canonicalHeaderValue(value)).toBe(expected);
  });
});

describe('selectSignedHeaders', () => {
  it('signs every header but authorization, user-agent and x-amzn-trace-id, lower-cased and sorted', () => {
    expect(
      selectSignedHeaders({
        'X-Amz-Date': '20240101T000000Z',
        Host: 'h',
        Authorization: 'x',
        'User-Agent': 'ua',
        'X-Amzn-Trace-Id': 'Root=1',
        'Content-Type': 'application/json',
        'x-amz-x509': 'MII',
      }),
    ).toEqual(['content-type', 'host', 'x-amz-date', 'x-amz-x509']);
  });

  it('names a header once even when it comes in two cases, and skips undefined values', () => {
    expect(selectSignedHeaders({ 'X-A': '1', 'x-a': '2', gone: undefined })).toEqual(['x-a']);
  });
});

describe('headerValues', () => {
  it('collects values across name cases and arrays', () => {
    expect(headerValues({ Foo: '1', foo: ['2', '3'], bar: '4' }, 'FOO')).toEqual(['1', '2', '3']);
    expect(headerValues({}, 'foo')).toEqual([]);
  });
});

describe('createCanonicalHeaders', () => {
  it('writes name:value lines in the order given, values canonicalized, repeats joined by a comma', () => {
    const headers = { Host: 'example.com', 'X-Multi': ['  a  ', 'b   c'], 'content-type': ' text/plain ' };
    expect(createCanonicalHeaders(headers, ['content-type', 'host', 'x-multi'])).toBe(
      'content-type:text/plain\nhost:example.com\nx-multi:a,b c\n',
    );
  });

  it('fails with SIGNED_HEADER_MISSING for a signed header the request lacks', () => {
    let error: unknown;
    try {
      createCanonicalHeaders({ host: 'h' }, ['host', 'x-amz-date']);
    } catch (caught) {
      error = caught;
    }
    expect(isAgentError(error) && error.code).toBe('SIGNED_HEADER_MISSING');
  });
});
