import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCsr } from '../../../src/csr/create-csr';
import { type CsrKey, csrKeyFrom, csrKeyFromKeyObject } from '../../../src/csr/csr-key';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('ra-csr-');
afterAll(() => tmp.remove());

function keyPair(type: string): KeyObject {
  if (type === 'ec-p256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  if (type === 'ec-p384') return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  return generateKeyPairSync('rsa', { modulusLength: type === 'rsa-3072' ? 3072 : 2048 }).privateKey;
}

function openssl(args: string[], input?: string): string {
  return execFileSync('/usr/bin/openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

describe('createCsr', () => {
  it.each([
    ['ec-p256', 'ecdsa-with-SHA256'],
    ['ec-p384', 'ecdsa-with-SHA384'],
    ['rsa-2048', 'sha256WithRSAEncryption'],
    ['rsa-3072', 'sha256WithRSAEncryption'],
  ])('a %s key signs a CSR that openssl verifies (%s)', async (type, algorithm) => {
    const key = csrKeyFromKeyObject(keyPair(type), `test ${type} key`);
    const csr = await createCsr({
      key,
      subject: 'CN=edge-0042,OU=DataCenter-Northeast,O=Example Corp,C=US',
      san: 'dns:edge-0042.example.com,uri:spiffe://example.com/edge-0042',
    });
    const path = join(tmp.path, `${type}.csr`);
    writeFileSync(path, csr.toString('pem'));
    const verify = openssl(['req', '-in', path, '-noout', '-verify', '-subject', '-nameopt', 'RFC2253']);
    expect(verify).toContain('subject=CN=edge-0042,OU=DataCenter-Northeast,O=Example Corp,C=US');
    const text = openssl(['req', '-in', path, '-noout', '-text']);
    expect(text).toContain(`Signature Algorithm: ${algorithm}`);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
    expect(text).toMatch(/DNS:edge-0042\.example\.com, URI:spiffe:\/\/example\.com\/edge-0042/);
    // The CSR carries the key's own public key.
    expect(Buffer.from(csr.publicKey.rawData).equals(Buffer.from(key.spki))).toBe(true);
  });

  it('leaves the subjectAltName out when no --san is given', async () => {
    const csr = await createCsr({
      key: csrKeyFromKeyObject(keyPair('ec-p256'), 'key'),
      subject: 'CN=only-cn',
    });
    const text = openssl(['req', '-noout', '-text'], csr.toString('pem'));
    expect(text).not.toContain('Subject Alternative Name');
  });

  it('refuses a key that signs with another key than the public key it reports', async () => {
    const other = csrKeyFromKeyObject(keyPair('ec-p256'), 'other');
    const lying: CsrKey = csrKeyFrom(
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      'lying key',
      (data, digest) => other.sign(data, digest),
    );
    await expect(createCsr({ key: lying, subject: 'CN=x' })).rejects.toMatchObject({
      code: 'CSR_SIGNATURE_INVALID',
      message: expect.stringContaining('lying key'),
    });
  });

  it('refuses a bad subject before anything is signed', async () => {
    let signed = 0;
    const base = csrKeyFromKeyObject(keyPair('ec-p256'), 'key');
    const counting: CsrKey = {
      ...base,
      sign: (data, digest) => {
        signed++;
        return base.sign(data, digest);
      },
    };
    await expect(createCsr({ key: counting, subject: 'CN=x,XX=y' })).rejects.toMatchObject({
      code: 'SUBJECT_INVALID',
    });
    await expect(createCsr({ key: counting, subject: 'CN=x', san: 'dns:' })).rejects.toMatchObject({
      code: 'SAN_INVALID',
    });
    expect(signed).toBe(0);
  });

  it('refuses a key type Roles Anywhere does not take', () => {
    const ed = generateKeyPairSync('ed25519').privateKey;
    expect(() => csrKeyFromKeyObject(ed, 'ed key')).toThrow(
      /ed key is a ed25519 key; a CSR needs an EC or RSA key/,
    );
  });
});
