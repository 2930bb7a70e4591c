import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { loadCertificates, loadLazyCertificates } from '../../../src/x509/load';
import {
  concatFiles,
  createIntermediateCa,
  createRootCa,
  issueLeaf,
  type TestCa,
  type TestLeaf,
  writeDerCertificate,
} from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
const file = (name: string) => join(tmp.path, name);
let root: TestCa;
let intermediate: TestCa;
let leaf: TestLeaf;

beforeAll(() => {
  root = createRootCa(tmp.path, 'Load Root CA');
  intermediate = createIntermediateCa(tmp.path, root, 'Load Intermediate CA');
  leaf = issueLeaf(tmp.path, intermediate, { name: 'load-leaf' });
});
afterAll(() => tmp.remove());

const bytesOf = (path: string) => new Uint8Array(readFileSync(path));
const hex = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes as Uint8Array).toString('hex');

describe('loadLazyCertificates', () => {
  it('reads a PEM certificate as loadCertificates does, parsing it only when asked', () => {
    const [lazy, ...rest] = loadLazyCertificates(bytesOf(leaf.certPath), 'certificate') ?? [];
    const [full] = loadCertificates(bytesOf(leaf.certPath));
    expect(rest).toEqual([]);
    expect(lazy && hex(lazy.der)).toBe(full && hex(full.rawData));
    expect(lazy?.fields.serialNumber).toBe(full?.serialNumber);
    const parsed = lazy?.parsed();
    expect(parsed?.subject).toBe(full?.subject);
    // Parsed once: the same object every time.
    expect(lazy?.parsed()).toBe(parsed);
  });

  it('reads a DER certificate', () => {
    const der = writeDerCertificate(leaf.certPath, file('leaf.der'));
    const certificates = loadLazyCertificates(bytesOf(der), 'certificate');
    expect(certificates?.map((cert) => hex(cert.der))).toEqual([hex(bytesOf(der))]);
  });

  it('reads every certificate of a fullchain file, in order', () => {
    const chain = concatFiles(file('fullchain.pem'), [leaf.certPath, intermediate.certPath, root.certPath]);
    const lazy = loadLazyCertificates(bytesOf(chain), 'certificate') ?? [];
    expect(lazy.map((cert) => cert.parsed().subject)).toEqual(
      loadCertificates(chain).map((cert) => cert.subject),
    );
    expect(lazy).toHaveLength(3);
  });

  it.each<[string, () => Uint8Array]>([
    [
      'a PEM file that also holds a private key',
      () => bytesOf(concatFiles(file('with-key.pem'), [leaf.certPath, leaf.keyPath])),
    ],
    [
      'a PEM block with headers',
      () => new Uint8Array(Buffer.from(leaf.certPem.replace('-----\n', '-----\nComment: hello\n\n'))),
    ],
    ['a PEM block cut short', () => new Uint8Array(Buffer.from(leaf.certPem.slice(0, -30)))],
    ['no certificate at all', () => bytesOf(leaf.keyPath)],
    ['garbage', () => new Uint8Array(Buffer.from('not a certificate'))],
  ])('leaves %s to loadCertificates', (_name, make) => {
    const bytes = make();
    expect(loadLazyCertificates(bytes, 'certificate')).toBeUndefined();
  });

  it('leaves loadCertificates to say what is wrong, with the same label', () => {
    const bytes = bytesOf(leaf.keyPath);
    expect(loadLazyCertificates(bytes, 'certificate x.pem')).toBeUndefined();
    try {
      loadCertificates(bytes, 'certificate x.pem');
      expect.unreachable();
    } catch (error) {
      expect(isAgentError(error) && error.code).toBe('CERT_INVALID');
      expect((error as Error).message).toContain('certificate x.pem is not an X.509 certificate');
    }
  });
});
