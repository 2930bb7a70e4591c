import { describe, expect, it } from 'vitest';
import { parseSan, sanExtension } from '../../../src/csr/san';
import { isAgentError } from '../../../src/errors';

describe('parseSan', () => {
  it('reads dns, uri, email and ip entries, with escaped commas and spaces around entries', () => {
    expect(
      parseSan(
        'dns:Device-1.Example.com, uri:spiffe://example.com/edge/1,email:ops@example.com,ip:10.0.0.7,ip:2001:db8::1,dns:*.edge.example.com,uri:urn:x\\,y',
      ),
    ).toEqual([
      { type: 'dns', value: 'device-1.example.com' },
      { type: 'uri', value: 'spiffe://example.com/edge/1' },
      { type: 'email', value: 'ops@example.com' },
      { type: 'ip', value: '10.0.0.7' },
      { type: 'ip', value: '2001:db8::1' },
      { type: 'dns', value: '*.edge.example.com' },
      { type: 'uri', value: 'urn:x,y' },
    ]);
  });

  it('makes a subjectAltName extension @peculiar/x509 reads back', () => {
    const extension = sanExtension(parseSan('dns:a.example.com,uri:spiffe://example.com/a,ip:127.0.0.1'));
    expect(extension.critical).toBe(false);
    expect(extension.names.toJSON()).toEqual([
      { type: 'dns', value: 'a.example.com' },
      { type: 'url', value: 'spiffe://example.com/a' },
      { type: 'ip', value: '127.0.0.1' },
    ]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['empty', ' ', /it is empty/],
    ['empty entry', 'dns:a.example.com,,dns:b.example.com', /an entry is empty/],
    ['no type', 'device.example.com', /"device.example.com" has no type/],
    ['unknown type', 'rfc822:a@b.c', /unknown type "rfc822" in "rfc822:a@b.c"/],
    ['empty value', 'dns:', /"dns:" has an empty value/],
    ['bad DNS name', 'dns:under_score.example.com', /"under_score.example.com" is not a DNS name/],
    ['DNS label too long', `dns:${'a'.repeat(64)}.com`, /is not a DNS name/],
    ['relative URI', 'uri:/just/a/path', /is not an absolute URI/],
    ['bad e-mail', 'email:nobody', /"nobody" is not an e-mail address/],
    ['bad IP', 'ip:300.1.1.1', /"300.1.1.1" is not an IPv4 or IPv6 address/],
  ];
  it.each(bad)('refuses %s with an error naming the entry', (_name, san, message) => {
    let caught: unknown;
    try {
      parseSan(san);
    } catch (error) {
      caught = error;
    }
    expect(isAgentError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'SAN_INVALID' });
    expect((caught as Error).message).toMatch(/^invalid --san: /);
    expect((caught as Error).message).toMatch(message);
  });
});
