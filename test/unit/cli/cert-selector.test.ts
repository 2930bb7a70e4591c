import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCertificateFilter,
  describeForSelector,
  goNames,
  matchesCertSelector,
  parseCertSelector,
} from '../../../src/cli/options/cert-selector';
import { isAgentError } from '../../../src/errors';
import { type X509Certificate, x509 } from '../../../src/x509/x509';
import { createRootCa, issueLeaf, type TestCa } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { run } from '../../helpers/tools';

const dir = makeTempDir('ra-cert-selector-');
let ca: TestCa;
const load = (path: string): X509Certificate => new x509.X509Certificate(readFileSync(path, 'utf8'));

/** A self-signed certificate with an openssl -subj (so the subject bytes are openssl's). */
function selfSigned(name: string, subject: string): X509Certificate {
  const certPath = join(dir.path, `${name}.crt`);
  run('/usr/bin/openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir.path, `${name}.key`),
    '-out',
    certPath,
    '-subj',
    subject,
    '-utf8',
    '-days',
    '30',
  ]);
  return load(certPath);
}

/** The subject as read from the certificate's own bytes. */
const subjectDer = (cert: X509Certificate) => goNames(cert).subject;

beforeAll(() => {
  ca = createRootCa(dir.path, 'Selector Root CA');
});

afterAll(() => {
  dir.remove();
});

describe("goNameStrings: Go's pkix.Name.String()", () => {
  it('matches what Go printed for a subject with an e-mail address (aws/rolesanywhere-credential-helper test data)', () => {
    const cert = selfSigned(
      'wallaby',
      '/C=US/ST=Washington/L=Seattle/O=Amazon.com Services LLC/OU=Signer/CN=Wallaby/emailAddress=jddonas@amazon.com',
    );
    // Go renders the IA5String e-mail re-encoded as a UTF8String (0c), by its OID, at the end.
    expect(subjectDer(cert)[0]).toBe(
      'CN=Wallaby,OU=Signer,O=Amazon.com Services LLC,L=Seattle,ST=Washington,C=US,1.2.840.113549.1.9.1=#0c126a64646f6e617340616d617a6f6e2e636f6d',
    );
    expect(subjectDer(cert)[1]).toBe(
      'CN=Wallaby,OU=Signer,O=Amazon.com Services LLC,L=Seattle,ST=Washington,C=US,1.2.840.113549.1.9.1=jddonas@amazon.com',
    );
  });

  it('puts known attributes in Go order whatever the DER order, with no space after commas', () => {
    const cert = selfSigned('order', '/CN=edge/C=US/OU=DataCenter-Northeast/O=Example');
    expect(subjectDer(cert)).toEqual(['CN=edge,OU=DataCenter-Northeast,O=Example,C=US']);
    // @peculiar/x509 prints the DER order with ", ": a different string, documented as such.
    expect(cert.subject).toBe('CN=edge, C=US, OU=DataCenter-Northeast, O=Example');
  });

  it('joins several values of one type with "+", keeps only the last CN, escapes as Go does', () => {
    const cert = selfSigned(
      'escapes',
      '/CN=Acme\\, Inc./OU=#ops/OU=b\\+c/O= lead and trail /DC=com/DC=example/CN=x+UID=y',
    );
    expect(subjectDer(cert)).toEqual([
      'CN=x,OU=\\#ops+OU=b\\+c,O=\\ lead and trail\\ ,0.9.2342.19200300.100.1.1=#130179,0.9.2342.19200300.100.1.25=#13076578616d706c65,0.9.2342.19200300.100.1.25=#1303636f6d',
      'CN=x,OU=\\#ops+OU=b\\+c,O=\\ lead and trail\\ ,0.9.2342.19200300.100.1.1=y,0.9.2342.19200300.100.1.25=example,0.9.2342.19200300.100.1.25=com',
    ]);
  });

  it('keeps UTF-8 text as text', () => {
    const cert = selfSigned('utf8', '/O=Zoë & Søn/CN=Zoë');
    expect(subjectDer(cert)).toEqual(['CN=Zoë,O=Zoë & Søn']);
  });
});

describe('parseCertSelector', () => {
  it('reads the Key=...,Value=... form; a value may hold commas and spaces', () => {
    expect(
      parseCertSelector(
        'Key=x509Subject,Value=CN=My Host,O=Example Corp Key=x509Issuer,Value=CN=Root Key=x509Serial,Value=15D19632234BF759A3  ',
      ),
    ).toEqual({ subject: 'CN=My Host,O=Example Corp', issuer: 'CN=Root', serial: 0x15d19632234bf759a3n });
  });

  it('reads a JSON file given as file://PATH, field names in any case', () => {
    const path = join(dir.path, 'selector.json');
    writeFileSync(
      path,
      JSON.stringify([
        { Key: 'x509Subject', Value: 'CN=edge,OU=DataCenter-Northeast' },
        { key: 'x509Serial', value: '0a:1b:2c' },
      ]),
    );
    expect(parseCertSelector(`file://${path}`)).toEqual({
      subject: 'CN=edge,OU=DataCenter-Northeast',
      serial: 0x0a1b2cn,
    });
  });

  it('also takes the JSON array inline; an empty value or null constrains nothing', () => {
    expect(
      parseCertSelector('[{"Key":"x509Issuer","Value":"CN=Root"},{"Key":"x509Subject","Value":""}]'),
    ).toEqual({ issuer: 'CN=Root' });
    const path = join(dir.path, 'null.json');
    writeFileSync(path, 'null');
    expect(parseCertSelector(`file://${path}`)).toEqual({});
  });

  it.each([
    ['an unknown key', 'Key=x509Subjekt,Value=CN=a', /unknown key "x509Subjekt"/],
    ['a key twice', 'Key=x509Subject,Value=CN=a Key=x509Subject,Value=CN=b', /x509Subject is given twice/],
    ['text that is no pair', 'CN=edge', /cannot read "CN=edge"/],
    ['a trailing fragment', 'Key=x509Subject,Value=CN=a Key=x509Serial', /cannot read "Key=x509Serial"/],
    [
      'a serial that is not hex',
      'Key=x509Serial,Value=0x1F',
      /x509Serial "0x1F" is not a hexadecimal number/,
    ],
    ['JSON that is not an array', '[1', /is not JSON/],
    ['an entry that is not an object', '["x509Subject"]', /entry 1 .* is not an object/],
    [
      'a value that is not a string',
      '[{"Key":"x509Serial","Value":12}]',
      /"Value" of entry 1 .* is not a string/,
    ],
    [
      'a missing file',
      'file:///nonexistent/selector.json',
      /cannot read the --cert-selector file \/nonexistent/,
    ],
  ])('refuses %s with CERT_SELECTOR_INVALID and a hint', (_name, value, message) => {
    let caught: unknown;
    try {
      parseCertSelector(value);
    } catch (error) {
      caught = error;
    }
    expect(isAgentError(caught)).toBe(true);
    if (!isAgentError(caught)) return;
    expect(caught.code).toBe('CERT_SELECTOR_INVALID');
    expect(caught.message).toMatch(message);
    expect(caught.hint).toBeTruthy();
  });
});

describe('matchesCertSelector and the certificate filter', () => {
  let older: X509Certificate;
  let newer: X509Certificate;
  let other: X509Certificate;

  beforeAll(() => {
    const first = issueLeaf(dir.path, ca, {
      name: 'edge-old',
      subject: '/O=Example/OU=DataCenter-Northeast/CN=edge',
      days: 10,
    });
    older = load(first.certPath);
    // The same key renewed: same subject, later expiry.
    newer = load(
      issueLeaf(dir.path, ca, {
        name: 'edge-new',
        subject: '/O=Example/OU=DataCenter-Northeast/CN=edge',
        keyPath: first.keyPath,
        days: 300,
      }).certPath,
    );
    other = load(
      issueLeaf(dir.path, ca, { name: 'other', subject: '/O=Example/OU=DataCenter-West/CN=other' }).certPath,
    );
  });

  it('compares subject and issuer in Go format and the serial as a number', () => {
    const serial = BigInt(`0x${newer.serialNumber}`);
    expect(matchesCertSelector({ subject: 'CN=edge,OU=DataCenter-Northeast,O=Example' }, newer)).toBe(true);
    expect(matchesCertSelector({ subject: 'O=Example, OU=DataCenter-Northeast, CN=edge' }, newer)).toBe(
      false,
    );
    expect(matchesCertSelector({ issuer: 'CN=Selector Root CA,O=rolesanywhere-agent tests' }, newer)).toBe(
      true,
    );
    expect(matchesCertSelector({ issuer: 'CN=Another CA' }, newer)).toBe(false);
    expect(matchesCertSelector({ serial }, newer)).toBe(true);
    expect(matchesCertSelector({ serial: serial + 1n }, newer)).toBe(false);
    expect(matchesCertSelector({}, other)).toBe(true);
  });

  it('describes a certificate in the terms a selector uses', () => {
    expect(describeForSelector(other)).toMatch(
      /^x509Subject "CN=other,OU=DataCenter-West,O=Example", x509Issuer "CN=Selector Root CA,O=rolesanywhere-agent tests", x509Serial [0-9A-F]+, expires \d{4}-/,
    );
  });

  it('with --use-latest-expiring-certificate keeps every match, the one expiring last first', () => {
    const filter = createCertificateFilter(
      { subject: 'CN=edge,OU=DataCenter-Northeast,O=Example' },
      { useLatestExpiring: true },
    );
    expect(filter([older, other, newer], 'key "edge"')).toEqual([newer, older]);
  });

  it('without it, several matches are an error that lists them', () => {
    const filter = createCertificateFilter(
      { subject: 'CN=edge,OU=DataCenter-Northeast,O=Example' },
      { useLatestExpiring: false },
    );
    expect(filter([other, newer], 'key "edge"')).toEqual([newer]);
    expect(() => filter([older, other, newer], 'key "edge"')).toThrow(
      expect.objectContaining({
        code: 'CERT_SELECTOR_AMBIGUOUS',
        message: expect.stringMatching(/^2 certificates for key "edge" match --cert-selector \(x509Subject/),
        hint: expect.stringContaining('--use-latest-expiring-certificate'),
      }),
    );
  });

  it('no match is an error that shows what the token has, in Go format', () => {
    const filter = createCertificateFilter(
      { subject: 'O=Example, OU=DataCenter-Northeast, CN=edge' },
      { useLatestExpiring: true },
    );
    expect(() => filter([newer, other], 'key "edge"')).toThrow(
      expect.objectContaining({
        code: 'CERT_SELECTOR_NO_MATCH',
        message: expect.stringContaining(
          'its certificates: {x509Subject "CN=edge,OU=DataCenter-Northeast,O=Example"',
        ),
      }),
    );
  });
});
