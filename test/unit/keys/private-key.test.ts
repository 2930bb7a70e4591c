import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { loadPrivateKey } from '../../../src/keys/private-key';
import {
  createRootCa,
  issueLeaf,
  type TestLeaf,
  writeEncryptedPkcs8Key,
  writePkcs1Key,
  writePkcs8Key,
  writePkcs12,
  writeSec1Key,
} from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { run } from '../../helpers/tools';

const PASSWORD = 'Key-Secret-42';

function spkiHex(pem: string): string {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('hex');
}

function failure(action: () => unknown): { code: string; text: string } {
  try {
    action();
  } catch (error) {
    if (!isAgentError(error)) throw error;
    return { code: error.code, text: `${error.message}\n${error.hint ?? ''}` };
  }
  throw new Error('expected a failure');
}

describe('loadPrivateKey', () => {
  const tmp = makeTempDir();
  let ec: TestLeaf;
  let rsa: TestLeaf;
  const file = (name: string) => join(tmp.path, name);

  beforeAll(() => {
    const root = createRootCa(tmp.path);
    ec = issueLeaf(tmp.path, root, { name: 'ec', keyType: 'ec-p384' });
    rsa = issueLeaf(tmp.path, root, { name: 'rsa', keyType: 'rsa-2048' });
  });
  afterAll(() => tmp.remove());

  it('reads every unencrypted form: PKCS#8, SEC1 and PKCS#1, PEM and DER', () => {
    const forms: Array<[TestLeaf, string]> = [
      [ec, ec.keyPath],
      [ec, writePkcs8Key(ec.keyPath, file('ec.p8.der'), 'DER')],
      [ec, writeSec1Key(ec.keyPath, file('ec.sec1.pem'))],
      [ec, writeSec1Key(ec.keyPath, file('ec.sec1.der'), { outform: 'DER' })],
      [rsa, rsa.keyPath],
      [rsa, writePkcs8Key(rsa.keyPath, file('rsa.p8.der'), 'DER')],
      [rsa, writePkcs1Key(rsa.keyPath, file('rsa.p1.pem'))],
      [rsa, writePkcs1Key(rsa.keyPath, file('rsa.p1.der'), 'DER')],
    ];
    expect(readFileSync(file('ec.sec1.pem'), 'utf8')).toContain('BEGIN EC PRIVATE KEY');
    expect(readFileSync(file('rsa.p1.pem'), 'utf8')).toContain('BEGIN RSA PRIVATE KEY');
    for (const [leaf, path] of forms) {
      const key = loadPrivateKey(readFileSync(path), undefined, `private key ${path}`);
      expect(createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('hex')).toBe(
        spkiHex(leaf.certPem),
      );
    }
  });

  it('reads encrypted keys with the password: PKCS#8 PBES2 and PKCS#12 PBE, PEM and DER, and traditional PEM', () => {
    const forms = [
      writeEncryptedPkcs8Key(ec.keyPath, file('ec.enc.pem'), PASSWORD),
      writeEncryptedPkcs8Key(ec.keyPath, file('ec.enc.der'), PASSWORD, { outform: 'DER' }),
      writeEncryptedPkcs8Key(ec.keyPath, file('ec.enc3des.pem'), PASSWORD, { v1: 'PBE-SHA1-3DES' }),
      writeSec1Key(ec.keyPath, file('ec.sec1enc.pem'), { password: PASSWORD }),
    ];
    for (const path of forms) {
      const key = loadPrivateKey(readFileSync(path), PASSWORD, `private key ${path}`);
      expect(createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('hex')).toBe(
        spkiHex(ec.certPem),
      );
      expect(failure(() => loadPrivateKey(readFileSync(path), undefined, `private key ${path}`)).code).toBe(
        'KEY_PASSWORD_REQUIRED',
      );
      const wrong = failure(() =>
        loadPrivateKey(readFileSync(path), 'not-the-password', `private key ${path}`),
      );
      expect(wrong.code).toBe('KEY_PASSWORD_INCORRECT');
      expect(wrong.text).toContain(path);
      expect(wrong.text).not.toContain('not-the-password');
      expect(wrong.text).not.toContain(PASSWORD);
    }
  });

  it('finds the key among other PEM blocks (openssl ecparam -genkey writes EC PARAMETERS first)', () => {
    const path = file('ecparam.pem');
    writeFileSync(path, run('/usr/bin/openssl', ['ecparam', '-name', 'prime256v1', '-genkey']));
    expect(readFileSync(path, 'utf8')).toMatch(/BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
    expect(loadPrivateKey(readFileSync(path), undefined, 'key').asymmetricKeyDetails?.namedCurve).toBe(
      'prime256v1',
    );
  });

  it('refuses what is not a key, saying what it found', () => {
    const cert = failure(() => loadPrivateKey(Buffer.from(ec.certPem), undefined, 'private key cert.pem'));
    expect(cert.code).toBe('KEY_INVALID');
    expect(cert.text).toContain('"certificate"');
    expect(failure(() => loadPrivateKey(Buffer.from('hello'), undefined, 'private key x')).code).toBe(
      'KEY_INVALID',
    );
    const broken = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    expect(failure(() => loadPrivateKey(Buffer.from(broken), undefined, 'private key x')).code).toBe(
      'KEY_INVALID',
    );
    const p12 = readFileSync(
      writePkcs12(file('k.p12'), { keyPath: ec.keyPath, certPath: ec.certPath, password: '' }),
    );
    const bundle = failure(() => loadPrivateKey(p12, undefined, 'private key k.p12'));
    expect(bundle.code).toBe('KEY_INVALID');
    expect(bundle.text).toContain('PKCS#12');
  });

  it('names unsupported PEM key types (OpenSSH, DSA)', () => {
    const openssh =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
    const result = failure(() => loadPrivateKey(Buffer.from(openssh), undefined, 'private key id_ed25519'));
    expect(result.code).toBe('KEY_UNSUPPORTED');
    expect(result.text).toContain('openssh private key');
  });
});
