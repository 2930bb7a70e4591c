import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatSubject, parseSubject, subjectName } from '../../../src/csr/subject';
import { isAgentError } from '../../../src/errors';

/** openssl asn1parse of a DER Name: attribute order and string types as encoded. */
function asn1Dump(der: ArrayBuffer): string {
  const out = execFileSync('/usr/bin/openssl', ['asn1parse', '-inform', 'DER'], {
    input: Buffer.from(der),
  }).toString();
  return out;
}

describe('parseSubject', () => {
  it('reads RFC 4514 order (most specific first) and stores RDNs in DER order (reversed)', () => {
    const parsed = parseSubject('CN=device-1,OU=DataCenter-Northeast,O=Example Corp,C=us');
    expect(parsed.map((rdn) => rdn.map((attribute) => `${attribute.name}=${attribute.value}`))).toEqual([
      ['CN=device-1'],
      ['OU=DataCenter-Northeast'],
      ['O=Example Corp'],
      ['C=US'],
    ]);
    const name = subjectName(parsed);
    expect(name.toString()).toBe('C=US, O=Example Corp, OU=DataCenter-Northeast, CN=device-1');
    const dump = asn1Dump(name.toArrayBuffer());
    // DER order and string types: C as PrintableString first, CN last.
    expect(dump.indexOf('countryName')).toBeLessThan(dump.indexOf('commonName'));
    expect(dump).toMatch(/countryName\s*\n.*PRINTABLESTRING\s*:US/);
  });

  it('keeps escaped separators, spaces around parts and UTF-8 values', () => {
    const parsed = parseSubject(' CN = edge\\, rack 4 , O=Bäckerei Müller\\+Söhne, DC=example ');
    expect(parsed.flat().map((attribute) => [attribute.name, attribute.value, attribute.encoding])).toEqual([
      ['CN', 'edge, rack 4', 'directory'],
      ['O', 'Bäckerei Müller+Söhne', 'directory'],
      ['DC', 'example', 'ia5'],
    ]);
    const dump = asn1Dump(subjectName(parsed).toArrayBuffer());
    expect(dump).toMatch(/UTF8STRING\s*:B/);
    expect(dump).toMatch(/IA5STRING\s*:example/);
  });

  it('takes multi-valued RDNs, hex escapes, aliases and dotted OIDs', () => {
    const parsed = parseSubject('CN=a+UID=42,E=ops@example.com,2.5.4.97=VATDE-123,O=caf\\C3\\A9');
    expect(parsed).toHaveLength(4);
    expect(parsed[0]?.map((attribute) => attribute.name)).toEqual(['CN', 'UID']);
    expect(parsed[1]?.[0]).toMatchObject({
      name: 'EMAILADDRESS',
      oid: '1.2.840.113549.1.9.1',
      encoding: 'ia5',
    });
    expect(parsed[2]?.[0]).toMatchObject({ name: '2.5.4.97', oid: '2.5.4.97', value: 'VATDE-123' });
    expect(parsed[3]?.[0]?.value).toBe('café');
  });

  it('formats back to what it read', () => {
    const text = 'CN=edge\\, rack 4+UID=7,OU=Ops,O=Example\\+Co,C=DE';
    expect(formatSubject(parseSubject(text))).toBe(text);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['empty', '', /it is empty/],
    ['only spaces', '   ', /it is empty/],
    ['no "="', 'CN=device,Example', /"Example" has no "="/],
    ['unknown attribute', 'CN=device,XX=1', /unknown attribute "XX" in "XX=1"/],
    ['empty value', 'CN=device,OU=', /"OU=" has an empty value/],
    ['empty part', 'CN=device,,O=Example', /part 2 is empty/],
    ['trailing comma', 'CN=device,', /part 2 is empty/],
    ['empty around +', 'CN=device+,O=Example', /empty part around "\+"/],
    ['no name', '=device', /no attribute name before "="/],
    ['country not two letters', 'CN=device,C=USA', /"C=USA": C must be a two-letter country code/],
    ['CN too long', `CN=${'x'.repeat(65)}`, /CN may be at most 64 characters, this one has 65/],
    ['lone backslash', 'CN=device\\', /ends with a lone "\\"/],
    ['bad escape', 'CN=dev\\ice', /bad escape "\\i"/],
    ['unescaped quote', 'CN=say "hi"', /unescaped '"'/],
    ['hex value', 'CN=#0403616263', /hex-encoded/],
    ['bad e-mail', 'E=not-an-address', /"E=not-an-address" is not an e-mail address/],
    ['non-ASCII DC', 'DC=exämple', /DC must be plain ASCII/],
    ['non-printable serialNumber', 'SERIALNUMBER=a_b', /SERIALNUMBER allows only/],
    ['control character', 'CN=a\\0Ab', /control character/],
    ['invalid UTF-8 escapes', 'CN=\\C3\\28', /not UTF-8/],
  ];
  it.each(bad)('refuses %s with an error naming the bad part', (_name, subject, message) => {
    let caught: unknown;
    try {
      parseSubject(subject);
    } catch (error) {
      caught = error;
    }
    expect(isAgentError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'SUBJECT_INVALID' });
    expect((caught as Error).message).toMatch(/^invalid --subject: /);
    expect((caught as Error).message).toMatch(message);
    expect((caught as { hint?: string }).hint).toMatch(/RFC 4514/);
  });
});
