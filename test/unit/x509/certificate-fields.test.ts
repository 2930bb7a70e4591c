import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateFields, readCertificateFields } from '../../../src/x509/certificate-fields';
import { x509 } from '../../../src/x509/x509';
import { createRootCa, issueLeaf, type TestCa, type TestKeyType } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { run } from '../../helpers/tools';

const OPENSSL = '/usr/bin/openssl';
const tmp = makeTempDir();
const file = (name: string) => join(tmp.path, name);
let ca: TestCa;

beforeAll(() => {
  ca = createRootCa(tmp.path, 'Fields Root CA');
});
afterAll(() => tmp.remove());

function derOf(pem: string): Uint8Array {
  return new Uint8Array(new x509.X509Certificate(pem).rawData);
}

/** What @peculiar/x509 says of the same certificate: the values readCertificateFields must give. */
function peculiarFields(der: Uint8Array): CertificateFields {
  const cert = new x509.X509Certificate(der);
  return {
    serialNumber: cert.serialNumber,
    subjectPublicKeyInfo: new Uint8Array(cert.publicKey.rawData),
    ca: cert.getExtension(x509.BasicConstraintsExtension)?.ca === true,
    keyUsage: cert.getExtension(x509.KeyUsagesExtension)?.usages,
  };
}

/** A self-signed certificate made by openssl with the given serial and -addext extensions. */
function selfSigned(name: string, serial: string, extensions: string[], keyType = 'EC'): Uint8Array {
  const key = file(`${name}.key`);
  const cert = file(`${name}.crt`);
  run(OPENSSL, [
    'genpkey',
    '-algorithm',
    keyType,
    ...(keyType === 'EC' ? ['-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-pkeyopt', 'rsa_keygen_bits:2048']),
    '-out',
    key,
  ]);
  run(OPENSSL, [
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-subj',
    `/O=Fields Test/CN=${name}`,
    '-set_serial',
    serial,
    '-days',
    '2',
    // No configured defaults: exactly the extensions given.
    '-config',
    '/dev/null',
    ...extensions.flatMap((extension) => ['-addext', extension]),
    '-out',
    cert,
  ]);
  return derOf(readFileSync(cert, 'utf8'));
}

describe('readCertificateFields agrees with @peculiar/x509', () => {
  const cases: Array<[string, () => Uint8Array]> = [];
  for (const keyType of ['ec-p256', 'ec-p384', 'rsa-2048'] as TestKeyType[]) {
    cases.push([
      `a ${keyType} leaf issued by a CA`,
      () => derOf(issueLeaf(tmp.path, ca, { name: keyType, keyType }).certPem),
    ]);
  }
  cases.push(
    ['a CA certificate', () => derOf(ca.certPem)],
    [
      'a serial with its high bit set (a sign byte in DER)',
      () => selfSigned('high', '0x80112233445566778899', []),
    ],
    ['a 20-byte serial', () => selfSigned('long', '0x7fffffffffffffffffffffffffffffffffffffff', [])],
    ['serial 0', () => selfSigned('zero', '0', [])],
    ['no extensions at all', () => selfSigned('bare', '7', [])],
    [
      'several key usages, no digitalSignature',
      () => selfSigned('usages', '8', ['keyUsage=nonRepudiation,keyEncipherment,decipherOnly']),
    ],
    ['keyUsage without basicConstraints', () => selfSigned('ku-only', '9', ['keyUsage=digitalSignature'])],
    [
      'basicConstraints CA with a path length',
      () => selfSigned('pathlen', '10', ['basicConstraints=critical,CA:true,pathlen:2']),
    ],
    ['an RSA key', () => selfSigned('rsa', '11', ['keyUsage=digitalSignature,keyEncipherment'], 'RSA')],
    [
      'a version 1 certificate',
      () => {
        const key = file('v1.key');
        run(OPENSSL, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
        run(OPENSSL, ['req', '-new', '-key', key, '-subj', '/CN=v1', '-out', file('v1.csr')]);
        run(OPENSSL, [
          'x509',
          '-req',
          '-in',
          file('v1.csr'),
          '-signkey',
          key,
          '-set_serial',
          '0x00ff',
          '-out',
          file('v1.crt'),
        ]);
        return derOf(readFileSync(file('v1.crt'), 'utf8'));
      },
    ],
  );

  it.each(cases)('%s', (_name, make) => {
    const der = make();
    const fields = readCertificateFields(der);
    expect(fields).toBeDefined();
    expect(fields).toEqual(peculiarFields(der));
  });
});

describe('readCertificateFields leaves what it cannot read to the full parser', () => {
  let der: Uint8Array;
  beforeAll(() => {
    der = derOf(issueLeaf(tmp.path, ca, { name: 'broken' }).certPem);
  });

  function changed(edit: (bytes: Uint8Array) => void): Uint8Array {
    const copy = new Uint8Array(der);
    edit(copy);
    return copy;
  }
  const at = (bytes: Uint8Array, pattern: number[]) => Buffer.from(bytes).indexOf(Buffer.from(pattern));

  it.each<[string, () => Uint8Array]>([
    ['a truncated certificate', () => der.subarray(0, der.length - 10)],
    ['an empty input', () => new Uint8Array(0)],
    ['a PEM text instead of DER', () => new Uint8Array(Buffer.from('-----BEGIN CERTIFICATE-----'))],
    ['an indefinite length (BER, not DER)', () => changed((bytes) => (bytes[1] = 0x80))],
    [
      'an OBJECT IDENTIFIER cut in the middle of an arc',
      () => changed((bytes) => (bytes[at(bytes, [0x06, 0x03, 0x55, 0x04, 0x03]) + 4] = 0x80)),
    ],
    [
      'a version that is not an INTEGER',
      () => changed((bytes) => (bytes[at(bytes, [0xa0, 0x03, 0x02, 0x01, 0x02]) + 2] = 0x04)),
    ],
    [
      'a serial that is not an INTEGER',
      () => changed((bytes) => (bytes[at(bytes, [0xa0, 0x03, 0x02, 0x01, 0x02]) + 5] = 0x0a)),
    ],
    ['a validity time that is not a time', () => changed((bytes) => (bytes[at(bytes, [0x17, 0x0d])] = 0x13))],
    [
      'a key BIT STRING with 9 unused bits',
      () => changed((bytes) => (bytes[at(bytes, [0x03, 0x42, 0x00, 0x04]) + 2] = 9)),
    ],
  ])('%s', (_name, make) => {
    const bytes = make();
    expect(readCertificateFields(bytes)).toBeUndefined();
    // Not a quirk of this reader: the full parser refuses these too.
    expect(() => new x509.X509Certificate(bytes)).toThrow();
  });

  it('bytes after the certificate: the full parser decides (it takes the certificate, as before)', () => {
    const bytes = new Uint8Array([...der, 0]);
    expect(readCertificateFields(bytes)).toBeUndefined();
    expect(new x509.X509Certificate(bytes).serialNumber).toBe(peculiarFields(der).serialNumber);
  });

  it('still reads the unchanged certificate (the edits above hit what they aim at)', () => {
    expect(readCertificateFields(der)).toEqual(peculiarFields(der));
  });
});

describe('readCertificateFields on a certificate written here', () => {
  it('reads a certificate given as a file of DER bytes, as loadCertificates would', () => {
    const der = selfSigned('file', '12', [
      'basicConstraints=critical,CA:false',
      'keyUsage=critical,digitalSignature',
    ]);
    writeFileSync(file('file.der'), der);
    const fields = readCertificateFields(new Uint8Array(readFileSync(file('file.der'))));
    expect(fields?.ca).toBe(false);
    expect(fields?.keyUsage).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(fields?.serialNumber).toBe('0c');
  });
});
