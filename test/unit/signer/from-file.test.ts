import { constants, X509Certificate as NodeX509Certificate, randomBytes, verify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import { type FromFileOptions, fromFile } from '../../../src/signer/from-file';
import type { Digest, Signer } from '../../../src/signer/signer';
import {
  concatFiles,
  createIntermediateCa,
  createRootCa,
  issueLeaf,
  type TestCa,
  type TestKeyType,
  type TestLeaf,
  writeDerCertificate,
  writeEd25519Key,
  writeEncryptedPkcs8Key,
  writePkcs1Key,
  writePkcs8Key,
  writePkcs12,
  writeSec1Key,
} from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import { run } from '../../helpers/tools';

const PKCS8_PASSWORD = 'Pkcs8-Secret-7781';
const P12_PASSWORD = 'P12-Secret-5512';
const WRONG_PASSWORD = 'Wrong-Guess-0042';
const DIGESTS: Digest[] = ['SHA256', 'SHA384', 'SHA512'];

const tmp = makeTempDir();
const file = (name: string) => join(tmp.path, name);
let root: TestCa;
let intermediate: TestCa;

beforeAll(() => {
  root = createRootCa(tmp.path, 'Test Root CA');
  intermediate = createIntermediateCa(tmp.path, root, 'Test Intermediate CA');
});
afterAll(() => tmp.remove());

/** Signs with each digest and checks each signature with node:crypto against the certificate's key. */
async function expectVerifiableSignatures(signer: Signer, certPem: string): Promise<void> {
  const publicKey = new NodeX509Certificate(certPem).publicKey;
  for (const digest of DIGESTS) {
    const data = randomBytes(100);
    const signature = await signer.sign(data, digest);
    const algorithm = digest.replace('SHA', 'sha');
    expect(verify(algorithm, data, { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
    expect(
      verify(
        algorithm,
        Buffer.concat([data, Buffer.from('x')]),
        { key: publicKey, dsaEncoding: 'der' },
        signature,
      ),
    ).toBe(false);
    if (signer.keyType === 'ec') {
      expect(signature[0]).toBe(0x30); // DER ECDSA-Sig-Value, not raw r||s
    } else {
      // PKCS#1 v1.5, not PSS.
      expect(
        verify(algorithm, data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING }, signature),
      ).toBe(false);
      expect(
        verify(algorithm, data, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature),
      ).toBe(true);
    }
  }
  // The default digest is SHA-256, what SigV4-X509 uses.
  const data = randomBytes(32);
  expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, await signer.sign(data))).toBe(true);
}

function keyForms(leaf: TestLeaf, keyType: TestKeyType, name: string): Array<[string, FromFileOptions]> {
  const ca = concatFiles(file(`${name}-cas.pem`), [intermediate.certPath, root.certPath]);
  const common = { intermediates: ca };
  const forms: Array<[string, FromFileOptions]> = [
    ['PKCS#8 PEM files', { certificate: leaf.certPath, privateKey: leaf.keyPath, ...common }],
    [
      'PEM text',
      { certificate: leaf.certPem, privateKey: leaf.keyPem, intermediates: readFileSync(ca, 'utf8') },
    ],
    [
      'DER certificate and DER PKCS#8',
      {
        certificate: writeDerCertificate(leaf.certPath, file(`${name}.crt.der`)),
        privateKey: writePkcs8Key(leaf.keyPath, file(`${name}.p8.der`), 'DER'),
        ...common,
      },
    ],
    [
      'encrypted PKCS#8 PEM',
      {
        certificate: leaf.certPath,
        privateKey: writeEncryptedPkcs8Key(leaf.keyPath, file(`${name}.enc.pem`), PKCS8_PASSWORD),
        password: PKCS8_PASSWORD,
        ...common,
      },
    ],
    [
      'encrypted PKCS#8 DER',
      {
        certificate: leaf.certPath,
        privateKey: writeEncryptedPkcs8Key(leaf.keyPath, file(`${name}.enc.der`), PKCS8_PASSWORD, {
          outform: 'DER',
        }),
        password: PKCS8_PASSWORD,
        ...common,
      },
    ],
    [
      'PKCS#12, OpenSSL 3 defaults',
      {
        certificate: writePkcs12(file(`${name}.p12`), {
          keyPath: leaf.keyPath,
          certPath: leaf.certPath,
          caPaths: [root.certPath, intermediate.certPath],
          password: P12_PASSWORD,
        }),
        password: P12_PASSWORD,
      },
    ],
    [
      'PKCS#12 -legacy',
      {
        certificate: writePkcs12(file(`${name}-legacy.pfx`), {
          keyPath: leaf.keyPath,
          certPath: leaf.certPath,
          caPaths: [intermediate.certPath, root.certPath],
          password: P12_PASSWORD,
          legacy: true,
        }),
        password: P12_PASSWORD,
      },
    ],
    [
      'PKCS#12 with the empty password and no extension',
      {
        certificate: writePkcs12(file(`${name}-nopass`), {
          keyPath: leaf.keyPath,
          certPath: leaf.certPath,
          caPaths: [intermediate.certPath],
          password: '',
        }),
      },
    ],
  ];
  if (keyType.startsWith('ec')) {
    forms.push([
      'SEC1 PEM',
      {
        certificate: leaf.certPath,
        privateKey: writeSec1Key(leaf.keyPath, file(`${name}.sec1.pem`)),
        ...common,
      },
    ]);
    forms.push([
      'SEC1 DER',
      {
        certificate: leaf.certPath,
        privateKey: writeSec1Key(leaf.keyPath, file(`${name}.sec1.der`), { outform: 'DER' }),
        ...common,
      },
    ]);
  } else {
    forms.push([
      'PKCS#1 PEM',
      {
        certificate: leaf.certPath,
        privateKey: writePkcs1Key(leaf.keyPath, file(`${name}.p1.pem`)),
        ...common,
      },
    ]);
    forms.push([
      'PKCS#1 DER',
      {
        certificate: leaf.certPath,
        privateKey: writePkcs1Key(leaf.keyPath, file(`${name}.p1.der`), 'DER'),
        ...common,
      },
    ]);
  }
  return forms;
}

const EXPECTED: Record<TestKeyType, Partial<Signer>> = {
  'ec-p256': { keyType: 'ec', curve: 'P-256', algorithm: 'AWS4-X509-ECDSA-SHA256' },
  'ec-p384': { keyType: 'ec', curve: 'P-384', algorithm: 'AWS4-X509-ECDSA-SHA256' },
  'rsa-2048': { keyType: 'rsa', modulusBits: 2048, algorithm: 'AWS4-X509-RSA-SHA256' },
  'rsa-3072': { keyType: 'rsa', modulusBits: 3072, algorithm: 'AWS4-X509-RSA-SHA256' },
};

describe('fromFile: every key form signs verifiably', () => {
  it.each(Object.keys(EXPECTED) as TestKeyType[])('%s', async (keyType) => {
    const leaf = issueLeaf(tmp.path, intermediate, { name: `leaf-${keyType}`, keyType });
    const forms = keyForms(leaf, keyType, keyType);
    expect(forms.length).toBe(10);
    for (const [form, options] of forms) {
      const signer = await fromFile(options);
      try {
        expect({ form, ...EXPECTED[keyType] }).toEqual({
          form,
          keyType: signer.keyType,
          algorithm: signer.algorithm,
          ...(signer.curve ? { curve: signer.curve } : {}),
          ...(signer.modulusBits ? { modulusBits: signer.modulusBits } : {}),
        });
        expect(BigInt(`0x${signer.certificate.serialNumber}`)).toBe(BigInt(`0x${leaf.serialHex}`));
        expect(signer.chain.map((cert) => cert.subject)).toEqual([
          `O=rolesanywhere-agent tests, CN=${intermediate.name}`,
        ]);
        await expectVerifiableSignatures(signer, leaf.certPem);
      } finally {
        await signer.close();
      }
    }
  });
});

describe('fromFile: chain building', () => {
  it('takes a fullchain file as --certificate: the first certificate is the leaf, the rest chain candidates', async () => {
    const leaf = issueLeaf(tmp.path, intermediate, { name: 'fullchain' });
    const fullchain = concatFiles(file('fullchain.pem'), [
      leaf.certPath,
      intermediate.certPath,
      root.certPath,
    ]);
    const signer = await fromFile({ certificate: fullchain, privateKey: leaf.keyPath });
    expect(Buffer.from(signer.certificate.rawData)).toEqual(new NodeX509Certificate(leaf.certPem).raw);
    expect(signer.chain.map((cert) => cert.subject)).toEqual([
      'O=rolesanywhere-agent tests, CN=Test Intermediate CA',
    ]);
  });

  it('drops unrelated CAs, including one with the same name as the real issuer', async () => {
    const other = makeTempDir();
    try {
      const otherRoot = createRootCa(other.path, 'Other Root CA');
      const otherIntermediate = createIntermediateCa(other.path, otherRoot, 'Other Intermediate CA');
      // Same subject as the real intermediate, different key: only the signature tells them apart.
      const impostor = createIntermediateCa(other.path, otherRoot, 'Test Intermediate CA');
      const leaf = issueLeaf(tmp.path, intermediate, { name: 'chain-unrelated' });
      const bundle = concatFiles(file('unrelated-bundle.pem'), [
        otherIntermediate.certPath,
        impostor.certPath,
        otherRoot.certPath,
        intermediate.certPath,
        root.certPath,
      ]);
      const signer = await fromFile({
        certificate: leaf.certPath,
        privateKey: leaf.keyPath,
        intermediates: bundle,
      });
      expect(signer.chain.map((cert) => cert.subject)).toEqual([
        'O=rolesanywhere-agent tests, CN=Test Intermediate CA',
      ]);
      expect(signer.chain.map((cert) => Buffer.from(cert.rawData).toString('hex'))).toEqual([
        new NodeX509Certificate(intermediate.certPem).raw.toString('hex'),
      ]);
      const none = await fromFile({
        certificate: leaf.certPath,
        privateKey: leaf.keyPath,
        intermediates: concatFiles(file('only-unrelated.pem'), [
          otherIntermediate.certPath,
          impostor.certPath,
        ]),
      });
      expect(none.chain).toEqual([]);
    } finally {
      other.remove();
    }
  });

  it('orders a two-level chain given shuffled: the leaf issuer first', async () => {
    const deep = makeTempDir();
    try {
      const deepRoot = createRootCa(deep.path, 'Deep Root CA', 'ec-p384');
      const level1 = createIntermediateCa(deep.path, deepRoot, 'Level 1 CA', 'rsa-2048');
      const level2 = createIntermediateCa(deep.path, level1, 'Level 2 CA');
      const unrelated = createRootCa(deep.path, 'Unrelated Root CA');
      const leaf = issueLeaf(deep.path, level2, { name: 'deep-device', keyType: 'ec-p256' });
      const expected = [
        'O=rolesanywhere-agent tests, CN=Level 2 CA',
        'O=rolesanywhere-agent tests, CN=Level 1 CA',
      ];

      const shuffled = concatFiles(join(deep.path, 'shuffled.pem'), [
        deepRoot.certPath,
        level1.certPath,
        unrelated.certPath,
        level2.certPath,
      ]);
      const fromPem = await fromFile({
        certificate: leaf.certPath,
        privateKey: leaf.keyPath,
        intermediates: shuffled,
      });
      expect(fromPem.chain.map((cert) => cert.subject)).toEqual(expected);
      await expectVerifiableSignatures(fromPem, leaf.certPem);

      // A PKCS#12 bundle's own CA certificates are chain candidates too, in whatever order they come.
      const p12 = writePkcs12(join(deep.path, 'deep.p12'), {
        keyPath: leaf.keyPath,
        certPath: leaf.certPath,
        caPaths: [level1.certPath, unrelated.certPath, deepRoot.certPath, level2.certPath],
        password: P12_PASSWORD,
      });
      const fromBundle = await fromFile({ certificate: p12, password: P12_PASSWORD });
      expect(fromBundle.chain.map((cert) => cert.subject)).toEqual(expected);

      // ... and they combine with an --intermediates file.
      const leafOnly = writePkcs12(join(deep.path, 'leaf-only.p12'), {
        keyPath: leaf.keyPath,
        certPath: leaf.certPath,
        caPaths: [level2.certPath],
        password: P12_PASSWORD,
        legacy: true,
      });
      const combined = await fromFile({
        certificate: leafOnly,
        password: P12_PASSWORD,
        intermediates: level1.certPath,
      });
      expect(combined.chain.map((cert) => cert.subject)).toEqual(expected);
      await expectVerifiableSignatures(combined, leaf.certPem);
    } finally {
      deep.remove();
    }
  });
});

describe('fromFile: bad inputs', () => {
  interface BadCase {
    name: string;
    options: () => FromFileOptions;
    code: string;
    /** Text the message must contain (file names, the key type). */
    mentions: () => string[];
  }

  let ec: TestLeaf;
  let other: TestLeaf;
  let encPem: string;
  let encDer: string;
  let p12: string;
  let legacyP12: string;
  const cases: BadCase[] = [];

  beforeAll(() => {
    ec = issueLeaf(tmp.path, intermediate, { name: 'bad-ec' });
    other = issueLeaf(tmp.path, intermediate, { name: 'bad-other', keyType: 'rsa-2048' });
    encPem = writeEncryptedPkcs8Key(ec.keyPath, file('bad.enc.pem'), PKCS8_PASSWORD);
    encDer = writeEncryptedPkcs8Key(ec.keyPath, file('bad.enc.der'), PKCS8_PASSWORD, { outform: 'DER' });
    p12 = writePkcs12(file('bad.p12'), {
      keyPath: ec.keyPath,
      certPath: ec.certPath,
      password: P12_PASSWORD,
    });
    legacyP12 = writePkcs12(file('bad-legacy.p12'), {
      keyPath: ec.keyPath,
      certPath: ec.certPath,
      password: P12_PASSWORD,
      legacy: true,
    });
  });

  function add(name: string, code: string, options: () => FromFileOptions, mentions: () => string[]) {
    cases.push({ name, code, options, mentions });
  }

  add(
    'missing certificate file',
    'FILE_UNREADABLE',
    () => ({ certificate: file('nope.crt'), privateKey: ec.keyPath }),
    () => [file('nope.crt')],
  );
  add(
    'missing private key file',
    'FILE_UNREADABLE',
    () => ({ certificate: ec.certPath, privateKey: file('nope.key') }),
    () => [file('nope.key')],
  );
  add(
    'missing intermediates file',
    'FILE_UNREADABLE',
    () => ({ certificate: ec.certPath, privateKey: ec.keyPath, intermediates: file('nope-cas.pem') }),
    () => [file('nope-cas.pem')],
  );
  add(
    'a certificate given as --private-key',
    'KEY_INVALID',
    () => ({ certificate: ec.certPath, privateKey: ec.certPath }),
    () => [ec.certPath, 'certificate'],
  );
  add(
    'a private key given as --certificate',
    'CERT_INVALID',
    () => ({ certificate: ec.keyPath, privateKey: ec.keyPath }),
    () => [ec.keyPath],
  );
  add(
    'intermediates that are not certificates',
    'CERT_INVALID',
    () => ({ certificate: ec.certPath, privateKey: ec.keyPath, intermediates: ec.keyPath }),
    () => [ec.keyPath],
  );
  add(
    'no --private-key with a PEM certificate',
    'KEY_MISSING',
    () => ({ certificate: ec.certPath }),
    () => [ec.certPath],
  );
  add(
    'encrypted PKCS#8 without a password',
    'KEY_PASSWORD_REQUIRED',
    () => ({ certificate: ec.certPath, privateKey: encPem }),
    () => [encPem],
  );
  add(
    'encrypted PKCS#8 PEM, wrong password',
    'KEY_PASSWORD_INCORRECT',
    () => ({ certificate: ec.certPath, privateKey: encPem, password: WRONG_PASSWORD }),
    () => [encPem],
  );
  add(
    'encrypted PKCS#8 DER, wrong password',
    'KEY_PASSWORD_INCORRECT',
    () => ({ certificate: ec.certPath, privateKey: encDer, password: WRONG_PASSWORD }),
    () => [encDer],
  );
  add(
    'PKCS#12 without its password',
    'KEY_PASSWORD_REQUIRED',
    () => ({ certificate: p12 }),
    () => [p12],
  );
  add(
    'PKCS#12, wrong password',
    'KEY_PASSWORD_INCORRECT',
    () => ({ certificate: p12, password: WRONG_PASSWORD }),
    () => [p12],
  );
  add(
    'PKCS#12 -legacy, wrong password',
    'KEY_PASSWORD_INCORRECT',
    () => ({ certificate: legacyP12, password: WRONG_PASSWORD }),
    () => [legacyP12],
  );
  add(
    'PKCS#12 cut short',
    'PKCS12_INVALID',
    () => {
      const bytes = readFileSync(p12);
      writeFileSync(file('cut.p12'), bytes.subarray(0, bytes.length - 100));
      return { certificate: file('cut.p12'), password: P12_PASSWORD };
    },
    () => [file('cut.p12')],
  );
  add(
    'PKCS#12 with an unsupported cipher (Camellia)',
    'PKCS12_UNSUPPORTED',
    () => ({
      certificate: writePkcs12(file('camellia.p12'), {
        keyPath: ec.keyPath,
        certPath: ec.certPath,
        password: P12_PASSWORD,
        extraArgs: ['-keypbe', 'CAMELLIA-256-CBC'],
      }),
      password: P12_PASSWORD,
    }),
    () => [file('camellia.p12')],
  );
  add(
    'PKCS#12 without a key',
    'PKCS12_NO_KEY',
    () => ({
      certificate: writePkcs12(file('nokey.p12'), {
        keyPath: ec.keyPath,
        certPath: ec.certPath,
        password: P12_PASSWORD,
        extraArgs: ['-nokeys'],
      }),
      password: P12_PASSWORD,
    }),
    () => [file('nokey.p12')],
  );
  add(
    'PKCS#12 and --private-key together',
    'KEY_AMBIGUOUS',
    () => ({ certificate: p12, privateKey: ec.keyPath, password: P12_PASSWORD }),
    () => [p12],
  );
  add(
    'key that does not match the certificate',
    'KEY_CERT_MISMATCH',
    () => ({ certificate: ec.certPath, privateKey: other.keyPath }),
    () => [ec.certPath, other.keyPath],
  );
  add(
    'CA certificate as the leaf',
    'CERT_IS_CA',
    () => ({ certificate: intermediate.certPath, privateKey: intermediate.keyPath }),
    () => [intermediate.certPath],
  );
  add(
    'certificate without digitalSignature',
    'CERT_NO_DIGITAL_SIGNATURE',
    () => {
      const leaf = issueLeaf(tmp.path, intermediate, {
        name: 'no-ds',
        keyType: 'rsa-2048',
        extensions: ['basicConstraints=critical,CA:false', 'keyUsage=critical,keyEncipherment'],
      });
      return { certificate: leaf.certPath, privateKey: leaf.keyPath };
    },
    () => [file('no-ds.crt')],
  );
  add(
    'Ed25519 key and certificate',
    'KEY_UNSUPPORTED',
    () => {
      const leaf = issueLeaf(tmp.path, intermediate, {
        name: 'ed',
        keyPath: writeEd25519Key(file('ed25519.key')),
      });
      return { certificate: leaf.certPath, privateKey: leaf.keyPath };
    },
    () => [file('ed25519.key'), 'ed25519'],
  );
  add(
    'EC key on secp256k1',
    'KEY_UNSUPPORTED',
    () => {
      const keyPath = file('k1.key');
      run('/usr/bin/openssl', [
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:secp256k1',
        '-out',
        keyPath,
      ]);
      const leaf = issueLeaf(tmp.path, intermediate, { name: 'k1', keyPath });
      return { certificate: leaf.certPath, privateKey: keyPath };
    },
    () => [file('k1.key'), 'secp256k1'],
  );

  it('covers every error code', () => {
    expect(new Set(cases.map((c) => c.code))).toEqual(
      new Set([
        'FILE_UNREADABLE',
        'KEY_INVALID',
        'CERT_INVALID',
        'KEY_MISSING',
        'KEY_PASSWORD_REQUIRED',
        'KEY_PASSWORD_INCORRECT',
        'PKCS12_INVALID',
        'PKCS12_UNSUPPORTED',
        'PKCS12_NO_KEY',
        'KEY_AMBIGUOUS',
        'KEY_CERT_MISMATCH',
        'CERT_IS_CA',
        'CERT_NO_DIGITAL_SIGNATURE',
        'KEY_UNSUPPORTED',
      ]),
    );
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, bad) => {
    const error = await fromFile(bad.options()).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isAgentError(error), `expected an AgentError, got ${String(error)}`).toBe(true);
    if (!isAgentError(error)) return;
    if (process.env.SHOW_ERRORS) console.log(`${error.code}: ${error.message}\n  hint: ${error.hint}`);
    expect(error.code).toBe(bad.code);
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message[0]).toMatch(/[a-z]/);
    expect(error.hint ?? '').not.toBe('');
    expect(error.hint ?? '').not.toMatch(/[\r\n]/);
    for (const text of bad.mentions()) expect(error.message).toContain(text);
    const everything = [
      error.message,
      error.hint,
      error.cause instanceof Error ? error.cause.message : String(error.cause ?? ''),
    ].join(' ');
    for (const secret of [PKCS8_PASSWORD, P12_PASSWORD, WRONG_PASSWORD])
      expect(everything).not.toContain(secret);
    expect(everything).not.toContain('PRIVATE KEY-----');
  });
});
