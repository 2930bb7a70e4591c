import { getCanonicalQuery } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { createCanonicalQuery, parseQueryString } from '../../../src/sigv4-x509/canonical-query';

describe('createCanonicalQuery', () => {
  it('is empty without parameters', () => {
    expect(createCanonicalQuery(undefined)).toBe('');
    expect(createCanonicalQuery({})).toBe('');
  });

  it('encodes ARNs the way Roles Anywhere expects and sorts by name', () => {
    const query = {
      trustAnchorArn: 'arn:aws:rolesanywhere:us-east-1:1:trust-anchor/t',
      roleArn: 'arn:aws:iam::1:role/r',
      profileArn: 'arn:aws:rolesanywhere:us-east-1:1:profile/p',
    };
    expect(createCanonicalQuery(query)).toBe(
      'profileArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A1%3Aprofile%2Fp&roleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&trustAnchorArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A1%3Atrust-anchor%2Ft',
    );
  });

  it('sorts by character code (upper case first), repeated names by value, and encodes spaces as %20', () => {
    expect(createCanonicalQuery({ b: ['z', 'a b'], B: 'x', a: '' })).toBe('B=x&a=&b=a%20b&b=z');
  });

  it('writes a parameter without value as "name="', () => {
    expect(createCanonicalQuery({ flag: null, other: undefined })).toBe('flag=');
  });

  it('sorts on the encoded names', () => {
    // "~" (0x7E) sorts after "%" (0x25) once encoded: "a%20" < "a~".
    expect(createCanonicalQuery({ 'a~': '1', 'a ': '2' })).toBe('a%20=2&a~=1');
  });

  it('agrees with the AWS SDK (smithy) for strings and arrays', () => {
    const query = { Action: 'ListUsers', Version: '2010-05-08', tag: ['b', 'a'], 'x y': 'ü/+' };
    expect(createCanonicalQuery(query)).toBe(getCanonicalQuery({ query } as never));
  });
});

describe('parseQueryString', () => {
  it('decodes names and values and collects repeated names', () => {
    expect(parseQueryString('?roleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&x=1&x=2&flag&e=')).toEqual({
      roleArn: 'arn:aws:iam::1:role/r',
      x: ['1', '2'],
      flag: '',
      e: '',
    });
  });

  it('keeps undecodable text as is and round-trips through the canonical form', () => {
    expect(parseQueryString('bad=%zz')).toEqual({ bad: '%zz' });
    const raw = 'b=a%20b&a=%E2%82%AC';
    expect(createCanonicalQuery(parseQueryString(raw))).toBe('a=%E2%82%AC&b=a%20b');
  });
});
