import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/errors';
import { type FromPkcs11Options, fromPkcs11 } from '../../src/signer/from-pkcs11';
import { createIntermediateCa, createRootCa, issueLeaf, type TestCa, type TestLeaf } from '../helpers/pki';
import {
  addSoftHsmToken,
  createSoftHsmToken,
  deletePublicKeyObject,
  importCertificate,
  importKey,
  type SoftHsmToken,
} from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

// A PIN no message could contain by accident: the last test looks for it everywhere.
const PIN = '918273';
const tmp = makeTempDir('ra-pkcs11-errors-');
let token: SoftHsmToken;
let intermediate: TestCa;
let device: TestLeaf;
let other: TestLeaf;
let rsaDevice: TestLeaf;
let rsaOther: TestLeaf;

beforeAll(() => {
  token = createSoftHsmToken(tmp.path, 'ra-errors', PIN);
  addSoftHsmToken(token, 'ra-second');
  const root = createRootCa(tmp.path, 'Errors Root CA');
  intermediate = createIntermediateCa(tmp.path, root, 'Errors Intermediate CA');
  device = issueLeaf(tmp.path, intermediate, { name: 'device' });
  other = issueLeaf(tmp.path, intermediate, { name: 'other' });
  rsaDevice = issueLeaf(tmp.path, intermediate, { name: 'rsa-device', keyType: 'rsa-2048' });
  importKey(token, device.keyPath, '01', 'device');
  importCertificate(token, device.certPath, '01', 'device');
  // Two keys labelled alike, told apart only by id.
  importKey(token, other.keyPath, '02', 'twin');
  importKey(token, rsaDevice.keyPath, '03', 'twin');
  // A key whose certificate on the token (same id) belongs to another key.
  importKey(token, rsaDevice.keyPath, '04', 'wrong-cert');
  importCertificate(token, other.certPath, '04', 'wrong-cert');
  // A key with no certificate at all.
  importKey(token, other.keyPath, '05', 'no-cert');
  importKey(token, device.keyPath, '01', 'device', 'ra-second');
  // A key without a public key object: only a test signature can tell whether it matches.
  importKey(token, device.keyPath, '06', 'no-public');
  deletePublicKeyObject(token, '06');
  rsaOther = issueLeaf(tmp.path, intermediate, { name: 'rsa-other', keyType: 'rsa-2048' });
});

afterAll(() => tmp.remove());

const uri = (path: string) => `pkcs11:${path}?pin-value=${PIN}`;

interface Case {
  name: string;
  options: () => FromPkcs11Options;
  code: string;
  message: RegExp;
}

const cases: Case[] = [
  {
    name: 'unknown URI attribute',
    options: () => ({ uri: uri('token=ra-errors;colour=blue'), module: token.module }),
    code: 'PKCS11_URI_INVALID',
    message: /unknown attribute colour/,
  },
  {
    name: 'bad percent-encoding',
    options: () => ({ uri: uri('token=ra-errors;id=%0g'), module: token.module }),
    code: 'PKCS11_URI_INVALID',
    message: /attribute id has a bad percent-encoding/,
  },
  {
    name: 'type=cert in the key URI',
    options: () => ({ uri: uri('token=ra-errors;id=%01;type=cert'), module: token.module }),
    code: 'PKCS11_URI_INVALID',
    message: /type=cert cannot name a private key/,
  },
  {
    name: 'no module at the path',
    options: () => ({ uri: `pkcs11:token=ra-errors?module-path=${tmp.path}/nothing.so&pin-value=${PIN}` }),
    code: 'PKCS11_MODULE_NOT_FOUND',
    message: /^no pkcs11 module at .*nothing\.so$/,
  },
  {
    name: 'a file that is not a module',
    options: () => ({ uri: uri('token=ra-errors;id=%01'), module: device.certPath }),
    code: 'PKCS11_MODULE_INVALID',
    message: /^cannot load pkcs11 module .*device\.crt/,
  },
  {
    name: 'no token matches',
    options: () => ({ uri: uri('token=absent;id=%01'), module: token.module }),
    code: 'PKCS11_TOKEN_NOT_FOUND',
    // Lists every token (in slot order, which SoftHSM does not fix), labels and serials only.
    message:
      /^no token matches pkcs11:token=absent in pkcs11 module \S+; tokens found: (?=.*"ra-errors" \(serial [0-9a-f]+, slot \d+\))(?=.*"ra-second" \(serial [0-9a-f]+, slot \d+\))/,
  },
  {
    name: 'several tokens match',
    options: () => ({ uri: uri('id=%01'), module: token.module }),
    code: 'PKCS11_TOKEN_AMBIGUOUS',
    message:
      /^2 tokens match pkcs11: in pkcs11 module \S+: (?=.*"ra-errors" \(serial [0-9a-f]+, slot \d+\))(?=.*"ra-second")/,
  },
  {
    name: 'no key matches',
    options: () => ({ uri: uri('token=ra-errors;object=absent'), module: token.module }),
    code: 'PKCS11_KEY_NOT_FOUND',
    message:
      /^no private key matches object=absent on token "ra-errors" \(serial [0-9a-f]+\); private keys found: .*key "device" \(id 01\)/,
  },
  {
    name: 'several keys match',
    options: () => ({ uri: uri('token=ra-errors;object=twin'), module: token.module }),
    code: 'PKCS11_KEY_AMBIGUOUS',
    message:
      /^2 private keys match object=twin on token "ra-errors" .*: key "twin" \(id 0[23]\), key "twin" \(id 0[23]\)$/,
  },
  {
    name: 'no PIN anywhere',
    options: () => ({ uri: 'pkcs11:token=ra-errors;id=%01', module: token.module, prompt: false }),
    code: 'PIN_REQUIRED',
    message: /^token "ra-errors" \(serial [0-9a-f]+\) needs a user pin and none was given$/,
  },
  {
    name: 'EC certificate of another key (public key object compared)',
    options: () => ({
      uri: uri('token=ra-errors;id=%01'),
      module: token.module,
      certificate: other.certPath,
    }),
    code: 'KEY_CERT_MISMATCH',
    message:
      /^key "device" \(id 01\) on token "ra-errors" .* does not match the certificate .*CN=other.*: the public keys differ$/,
  },
  {
    name: 'EC certificate of another key (no public key object: test signature)',
    options: () => ({
      uri: uri('token=ra-errors;id=%06'),
      module: token.module,
      certificate: other.certPath,
    }),
    code: 'KEY_CERT_MISMATCH',
    message:
      /^key "no-public" \(id 06\) .* does not match the certificate .*CN=other.*: a test signature does not verify with the certificate key$/,
  },
  {
    name: 'RSA certificate of another key (modulus compared)',
    options: () => ({
      uri: uri('token=ra-errors;id=%03'),
      module: token.module,
      certificate: rsaOther.certPath,
    }),
    code: 'KEY_CERT_MISMATCH',
    message:
      /^key "twin" \(id 03\) .* does not match the certificate .*CN=rsa-other.*: the public keys differ$/,
  },
  {
    name: 'certificate on the token belongs to another key',
    options: () => ({ uri: uri('token=ra-errors;id=%04'), module: token.module }),
    code: 'KEY_CERT_MISMATCH',
    message:
      /^key "wrong-cert" \(id 04\) .* does not match the certificate .*: the certificate has an EC key, the token key is RSA$/,
  },
  {
    name: 'RSA key against an EC certificate',
    options: () => ({
      uri: uri('token=ra-errors;id=%03'),
      module: token.module,
      certificate: device.certPem,
    }),
    code: 'KEY_CERT_MISMATCH',
    message: /the certificate has an EC key, the token key is RSA/,
  },
  {
    name: 'no certificate for the key on the token',
    options: () => ({ uri: uri('token=ra-errors;id=%05'), module: token.module }),
    code: 'PKCS11_CERT_NOT_FOUND',
    message: /^no certificate for key "no-cert" \(id 05\) on token "ra-errors"/,
  },
  {
    name: 'CA certificate as the leaf',
    options: () => ({
      uri: uri('token=ra-errors;id=%01'),
      module: token.module,
      certificate: intermediate.certPath,
    }),
    code: 'CERT_IS_CA',
    message: /is a CA certificate, not an end-entity one/,
  },
];

async function failure(options: FromPkcs11Options): Promise<AgentError> {
  try {
    const signer = await fromPkcs11(options);
    await signer.close();
  } catch (error) {
    if (error instanceof AgentError) return error;
    throw error;
  }
  throw new Error('fromPkcs11 succeeded');
}

describe('fromPkcs11 errors on SoftHSM', () => {
  it('signs with the keys the failing cases are built around (so each failure is the case, not the setup)', async () => {
    for (const options of [
      { uri: uri('token=ra-errors;id=%01'), module: token.module },
      // Matched through a test signature: the token has no public key object for it.
      { uri: uri('token=ra-errors;id=%06'), module: token.module, certificate: device.certPath },
      { uri: uri('token=ra-errors;id=%03'), module: token.module, certificate: rsaDevice.certPath },
    ]) {
      const signer = await fromPkcs11(options);
      await signer.sign(new Uint8Array([1, 2, 3]));
      await signer.close();
    }
  });

  it.each(cases)('$name -> $code', async ({ options, code, message }) => {
    const error = await failure(options());
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message[0]).toBe(error.message[0]?.toLowerCase());
    expect(error.hint).toBeTruthy();
  });

  it('puts the PIN in no message, hint, cause or stack of any of these errors', async () => {
    for (const { options } of cases) {
      const error = await failure(options());
      let seen: unknown = error;
      while (seen instanceof Error) {
        const text = [
          seen.message,
          seen.stack ?? '',
          (seen as AgentError).hint ?? '',
          JSON.stringify(seen),
        ].join('\n');
        expect(text).not.toContain(PIN);
        seen = seen.cause;
      }
    }
  });
});
