import { X509Certificate as NodeX509Certificate, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { warmUpIdentity } from '../../../src/cli/startup/warm-up-identity';
import { fromFile } from '../../../src/signer/from-file';
import { x509 } from '../../../src/x509/x509';
import { makeTempDir } from '../../helpers/tmp';
import { run } from '../../helpers/tools';

const tmp = makeTempDir();
afterAll(() => tmp.remove());

describe('warmUpIdentity', () => {
  it('makes a certificate openssl reads: self-signed, end-entity, digitalSignature', () => {
    const identity = warmUpIdentity();
    const path = join(tmp.path, 'warm-up.crt');
    writeFileSync(path, identity.certificatePem);
    const text = run('/usr/bin/openssl', ['x509', '-in', path, '-noout', '-text']).toString();
    expect(text).toMatch(/Subject: CN ?= ?warm-up/);
    expect(text).toContain('CA:FALSE');
    expect(text).toContain('Digital Signature');
    const cert = new NodeX509Certificate(identity.certificatePem);
    expect(cert.verify(cert.publicKey)).toBe(true);
  });

  it('is a key-file pair the signer takes and signs with', async () => {
    const identity = warmUpIdentity();
    const signer = await fromFile({
      certificate: identity.certificatePem,
      privateKey: identity.privateKeyPem,
    });
    const data = Buffer.from('warm-up');
    const signature = await signer.sign(data);
    const publicKey = new NodeX509Certificate(identity.certificatePem).publicKey;
    expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
    expect(signer.certificate.subject).toBe(new x509.X509Certificate(identity.certificatePem).subject);
  });

  it('makes a new key each time', () => {
    expect(warmUpIdentity().privateKeyPem).not.toBe(warmUpIdentity().privateKeyPem);
  });
});
