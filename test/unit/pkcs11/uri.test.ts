import { describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { formatPkcs11Uri, isPkcs11Uri, parsePkcs11Uri } from '../../../src/pkcs11/uri';

function parseError(text: string) {
  try {
    parsePkcs11Uri(text);
  } catch (error) {
    if (!isAgentError(error)) throw error;
    return error;
  }
  throw new Error(`parsed without error: ${text}`);
}

describe('parsePkcs11Uri', () => {
  it('reads every path attribute', () => {
    const uri = parsePkcs11Uri(
      'pkcs11:token=My%20Token;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;serial=35787ecf01fbca10;' +
        'slot-id=18446744073709551615;slot-description=SoftHSM%20slot%20ID%200x0;slot-manufacturer=SoftHSM%20project;' +
        'library-manufacturer=SoftHSM;library-description=Implementation%20of%20PKCS11;library-version=2.6;' +
        'object=device%20key;id=%01%02%ff;type=private',
    );
    expect(uri).toEqual({
      token: 'My Token',
      manufacturer: 'SoftHSM project',
      model: 'SoftHSM v2',
      serial: '35787ecf01fbca10',
      slotId: 18446744073709551615n,
      slotDescription: 'SoftHSM slot ID 0x0',
      slotManufacturer: 'SoftHSM project',
      libraryManufacturer: 'SoftHSM',
      libraryDescription: 'Implementation of PKCS11',
      libraryVersion: { major: 2, minor: 6 },
      object: 'device key',
      id: Uint8Array.from([1, 2, 255]),
      type: 'private',
    });
  });

  it('reads every query attribute', () => {
    expect(
      parsePkcs11Uri('pkcs11:object=k?pin-value=12%2634&module-path=/usr/lib/softhsm/libsofthsm2.so'),
    ).toEqual({
      object: 'k',
      pinValue: '12&34',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
    });
    expect(parsePkcs11Uri('pkcs11:?pin-source=file:///etc/ra/pin&module-name=softhsm2')).toEqual({
      pinSource: 'file:///etc/ra/pin',
      moduleName: 'softhsm2',
    });
  });

  it('accepts the empty URI, the scheme in any case, and empty values', () => {
    expect(parsePkcs11Uri('pkcs11:')).toEqual({});
    expect(parsePkcs11Uri('PKCS11:token=a')).toEqual({ token: 'a' });
    expect(parsePkcs11Uri('pkcs11:token=')).toEqual({ token: '' });
    expect(parsePkcs11Uri('pkcs11:id=')).toEqual({ id: new Uint8Array() });
  });

  it('keeps characters the path and query allow unencoded, and decodes UTF-8', () => {
    expect(parsePkcs11Uri("pkcs11:object=a:b[c]@!$'()*+,=&~._-")).toEqual({
      object: "a:b[c]@!$'()*+,=&~._-",
    });
    expect(parsePkcs11Uri('pkcs11:?pin-source=/a/b?c|d')).toEqual({ pinSource: '/a/b?c|d' });
    expect(parsePkcs11Uri('pkcs11:token=%C3%A9t%C3%A9')).toEqual({ token: 'été' });
    expect(parsePkcs11Uri('pkcs11:object=%3b%3B')).toEqual({ object: ';;' });
  });

  it('reads library-version without a minor number as .0', () => {
    expect(parsePkcs11Uri('pkcs11:library-version=3').libraryVersion).toEqual({ major: 3, minor: 0 });
  });

  const invalid: [string, string, RegExp][] = [
    ['not a pkcs11 uri', 'file:/etc/key.pem', /must start with "pkcs11:"/],
    ['unknown path attribute', 'pkcs11:token=a;colour=blue', /unknown attribute colour in the path/],
    ['unknown query attribute', 'pkcs11:token=a?pin=1234', /unknown attribute pin in the query/],
    ['vendor attribute', 'pkcs11:x-vendor=1', /vendor-specific attribute x-vendor is not supported/],
    ['query attribute in the path', 'pkcs11:token=a;pin-value=1234', /pin-value belongs in the query/],
    ['path attribute in the query', 'pkcs11:?token=a', /token belongs in the path/],
    ['duplicate attribute', 'pkcs11:token=a;object=k;token=b', /token appears more than once/],
    [
      'duplicate query attribute',
      'pkcs11:?module-path=/a&module-path=/b',
      /module-path appears more than once/,
    ],
    ['truncated percent-encoding', 'pkcs11:object=a%2', /object has a bad percent-encoding "%2"/],
    ['non-hex percent-encoding', 'pkcs11:id=%zz', /id has a bad percent-encoding "%zz"/],
    ['raw space', 'pkcs11:token=My Token', /token contains the character " " that must be percent-encoded/],
    ['raw slash in the path', 'pkcs11:object=a/b', /object contains the character "\/"/],
    ['raw non-ASCII', 'pkcs11:token=été', /token contains the character "é"/],
    [
      'raw ampersand in a query value',
      'pkcs11:?pin-source=/a&b',
      /bad attribute name "b"|attribute b has no value/,
    ],
    ['invalid UTF-8 text', 'pkcs11:token=%ff', /token is not valid UTF-8/],
    ['empty attribute', 'pkcs11:token=a;;object=b', /empty attribute in the path/],
    ['trailing separator', 'pkcs11:token=a;', /empty attribute in the path/],
    ['attribute without value', 'pkcs11:token', /token has no value/],
    ['bad type', 'pkcs11:type=key', /type must be one of private, public, cert, secret-key, data, got "key"/],
    ['bad slot-id', 'pkcs11:slot-id=0x10', /slot-id must be a decimal number/],
    ['slot-id too large', 'pkcs11:slot-id=18446744073709551616', /slot-id must be a decimal number/],
    ['bad library-version', 'pkcs11:library-version=v2', /library-version must be "major" or "major.minor"/],
    [
      'pin-value with pin-source',
      'pkcs11:?pin-value=1&pin-source=/p',
      /pin-value and pin-source are both given/,
    ],
    ['empty module-path', 'pkcs11:?module-path=', /module-path is empty/],
  ];

  it.each(invalid)(
    'refuses %s with PKCS11_URI_INVALID naming the attribute, and a hint',
    (_name, text, message) => {
      const error = parseError(text);
      expect(error.code).toBe('PKCS11_URI_INVALID');
      expect(error.message).toMatch(/^invalid pkcs11 uri: /);
      expect(error.message).toMatch(message);
      expect(error.hint).toBeTruthy();
    },
  );

  it('never repeats a pin-value in its errors', () => {
    for (const text of [
      'pkcs11:?pin-value=s3cr%zz',
      'pkcs11:?pin-value=s3cr t',
      'pkcs11:?pin-value=s3cr%ff',
      'pkcs11:?pin-value=s3cr&pin-value=s3cr',
    ]) {
      const error = parseError(text);
      expect(error.message).not.toMatch(/s3cr/);
      expect(error.hint ?? '').not.toMatch(/s3cr/);
      expect(error.message).toMatch(/pin-value/);
    }
  });
});

describe('isPkcs11Uri', () => {
  it('tells URIs from paths and PEM text', () => {
    expect(isPkcs11Uri('pkcs11:token=a')).toBe(true);
    expect(isPkcs11Uri('Pkcs11:')).toBe(true);
    expect(isPkcs11Uri('/etc/pkcs11:key')).toBe(false);
    expect(isPkcs11Uri('-----BEGIN CERTIFICATE-----')).toBe(false);
  });
});

describe('formatPkcs11Uri', () => {
  it('round-trips through parsePkcs11Uri, percent-encoding what must be', () => {
    const uri = {
      token: 'My Token;1',
      serial: 'abc',
      slotId: 7n,
      libraryVersion: { major: 2, minor: 6 },
      object: 'k/1%',
      id: Uint8Array.from([0, 0x41, 0xff]),
      type: 'private' as const,
      pinSource: '/etc/pin file',
      modulePath: '/usr/lib/a&b.so',
    };
    const text = formatPkcs11Uri(uri);
    expect(text).toBe(
      'pkcs11:token=My%20Token%3B1;serial=abc;slot-id=7;library-version=2.6;object=k%2F1%25;id=%00A%FF;type=private' +
        '?pin-source=/etc/pin%20file&module-path=/usr/lib/a%26b.so',
    );
    expect(parsePkcs11Uri(text)).toEqual(uri);
  });

  it('leaves pin-value out unless asked', () => {
    const uri = parsePkcs11Uri('pkcs11:token=t?pin-value=1234');
    expect(formatPkcs11Uri(uri)).toBe('pkcs11:token=t');
    expect(formatPkcs11Uri(uri, { withPin: true })).toBe('pkcs11:token=t?pin-value=1234');
  });
});
