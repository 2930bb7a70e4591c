import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFile } from '../../../src/signer/from-file';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import { signerLeaf } from '../../../src/signer/signer-leaf';
import { x509 } from '../../../src/x509/x509';
import { createRootCa, issueLeaf, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir();
let leaf: TestLeaf;

beforeAll(() => {
  const ca = createRootCa(tmp.path, 'Leaf Root CA');
  leaf = issueLeaf(tmp.path, ca, { name: 'signer-leaf' });
});
afterAll(() => tmp.remove());

describe('signerLeaf', () => {
  it('reads the DER and serial of a key-file signer without its certificate being parsed', async () => {
    const signer = await fromFile({ certificate: leaf.certPem, privateKey: leaf.keyPem });
    const parsed = new x509.X509Certificate(leaf.certPem);
    const unparsed = {
      ...(signer.leaf ? { leaf: signer.leaf } : {}),
      get certificate(): x509.X509Certificate {
        throw new Error('certificate read');
      },
    };
    const read = signerLeaf(unparsed);
    expect(Buffer.from(read.der).equals(Buffer.from(parsed.rawData))).toBe(true);
    expect(read.serialNumber).toBe(parsed.serialNumber);
    expect(BigInt(`0x${read.serialNumber}`)).toBe(BigInt(`0x${leaf.serialHex}`));
  });

  it('falls back to the certificate of a signer without a leaf of its own', () => {
    const parsed = new x509.X509Certificate(leaf.certPem);
    const read = signerLeaf({ certificate: parsed });
    expect(Buffer.from(read.der).equals(Buffer.from(parsed.rawData))).toBe(true);
    expect(read.serialNumber).toBe(parsed.serialNumber);
  });

  it('gives the same certificate from a key-file signer, parsed once, as from a parsed one', async () => {
    const signer = await fromFile({ certificate: leaf.certPem, privateKey: leaf.keyPem });
    const parsed = fromKeyObject(createPrivateKey(leaf.keyPem), new x509.X509Certificate(leaf.certPem), []);
    expect(signer.certificate.subject).toBe(parsed.certificate.subject);
    expect(signer.certificate).toBe(signer.certificate);
    expect(Buffer.from(signer.leaf?.der ?? []).equals(Buffer.from(parsed.leaf?.der ?? []))).toBe(true);
    expect(signer.leaf?.serialNumber).toBe(parsed.leaf?.serialNumber);
  });
});
