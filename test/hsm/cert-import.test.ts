import { webcrypto } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateTemplate } from '../../src/pkcs11/cert-template';
import { createObjects } from '../../src/pkcs11/create-objects';
import { openTokenSession } from '../../src/pkcs11/token-session';
import { parsePkcs11Uri } from '../../src/pkcs11/uri';
import { fromPkcs11 } from '../../src/signer/from-pkcs11';
import { x509 } from '../../src/x509/x509';
import { runCli } from '../helpers/cli';
import {
  createIntermediateCa,
  createRootCa,
  issueLeaf,
  issueLeafForPublicKey,
  type TestCa,
} from '../helpers/pki';
import {
  addSoftHsmToken,
  createSoftHsmToken,
  deletePublicKeyObject,
  generateKeyInToken,
  type SoftHsmToken,
  setSoftHsmTokenFlags,
  softHsmTokenDirs,
} from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';
import { run } from '../helpers/tools';

const PIN = '448812';
const tmp = makeTempDir('ra-cert-import-');
const path = (name: string) => join(tmp.path, name);
let token: SoftHsmToken;
let root: TestCa;
let issuing: TestCa;
let otherCa: TestCa;
let keyUri: string;
let keyId: Buffer;
let noPublicSpki: Buffer;

const tokenUri = (label = 'import') => `pkcs11:token=${label}?pin-value=${PIN}`;
const cli = (args: string[]) => runCli(args, { env: token.env });
const importCert = (args: string[], label = 'import') =>
  cli(['cert', 'import', '--token', tokenUri(label), '--pkcs11-lib', token.module, ...args]);

function objectFiles(): number {
  return softHsmTokenDirs(token).flatMap((dir) =>
    readdirSync(dir).filter((name) => name.endsWith('.object') && name !== 'token.object'),
  ).length;
}

/** openssl as the user's CA: the CSR becomes a Roles Anywhere leaf signed by `ca`. */
function issueFromCsr(csrPath: string, name: string, days: number, ca = issuing): string {
  const ext = path(`${name}.ext`);
  writeFileSync(
    ext,
    'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  const cert = path(`${name}.crt`);
  run('/usr/bin/openssl', [
    'x509',
    '-req',
    '-in',
    csrPath,
    '-CA',
    ca.certPath,
    '-CAkey',
    ca.keyPath,
    '-CAcreateserial',
    '-days',
    String(days),
    '-sha256',
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  return cert;
}

/** A leaf for `spki` with the validity given (openssl 3.0 x509 cannot back-date), signed by `ca` with @peculiar/x509. */
async function issueWithDates(
  ca: TestCa,
  spki: ArrayBuffer,
  name: string,
  notBefore: Date,
  notAfter: Date,
): Promise<string> {
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    run('/usr/bin/openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', ca.keyPath, '-outform', 'DER']),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const caCert = new x509.X509Certificate(readFileSync(ca.certPath, 'utf8'));
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    spki,
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0a1b2c',
    subject: `CN=${name}, OU=DataCenter-Northeast`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    publicKey: publicKey as never,
    signingKey: caKey as never,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const out = path(`${name}.crt`);
  writeFileSync(out, cert.toString('pem'));
  return out;
}

function csrFor(uri: string, name: string, subject = `CN=${name},OU=DataCenter-Northeast,O=Example`) {
  return cli([
    'csr',
    '--private-key',
    `${uri}&pin-value=${PIN}`,
    '--subject',
    subject,
    '--out',
    path(`${name}.csr`),
  ]);
}

/** The certificate objects of the token, read in this process through SoftHSM. */
function certificateObjects(): Array<Map<number, Buffer>> {
  const api = new pkcs11js.PKCS11();
  api.load(token.module);
  api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  try {
    const slot = api
      .C_GetSlotList(true)
      .find((candidate) => api.C_GetTokenInfo(candidate).label.trim() === 'import');
    if (!slot) throw new Error('no token import');
    const session = api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    api.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }]);
    const handles = api.C_FindObjects(session, 64);
    api.C_FindObjectsFinal(session);
    const types = [
      pkcs11js.CKA_LABEL,
      pkcs11js.CKA_ID,
      pkcs11js.CKA_VALUE,
      pkcs11js.CKA_SUBJECT,
      pkcs11js.CKA_ISSUER,
      pkcs11js.CKA_SERIAL_NUMBER,
      pkcs11js.CKA_CERTIFICATE_CATEGORY,
      pkcs11js.CKA_CERTIFICATE_TYPE,
      pkcs11js.CKA_TOKEN,
      pkcs11js.CKA_PRIVATE,
    ];
    return handles.map(
      (handle) =>
        new Map(
          api
            .C_GetAttributeValue(
              session,
              handle,
              types.map((type) => ({ type })),
            )
            .map((a) => [a.type, a.value]),
        ),
    );
  } finally {
    api.C_Finalize();
  }
}

const asn1 = (der: Buffer) =>
  run('/usr/bin/openssl', ['asn1parse', '-inform', 'DER'], { input: der }).toString();
const serialHex = (certPath: string) =>
  run('/usr/bin/openssl', ['x509', '-in', certPath, '-noout', '-serial'])
    .toString()
    .trim()
    .split('=')[1]
    ?.toLowerCase()
    .replace(/^0+/, '') ?? '';

beforeAll(async () => {
  token = createSoftHsmToken(tmp.path, 'import', PIN);
  addSoftHsmToken(token, 'frozen');
  root = createRootCa(tmp.path, 'Import Root CA');
  issuing = createIntermediateCa(tmp.path, root, 'Import Issuing CA');
  otherCa = createRootCa(tmp.path, 'Unrelated CA');
  const generated = await cli([
    'key',
    'generate',
    '--token',
    tokenUri(),
    '--pkcs11-lib',
    token.module,
    '--label',
    'device',
  ]);
  if (generated.code !== 0) throw new Error(generated.stderr);
  keyUri = generated.stdout.trim();
  keyId = Buffer.from(parsePkcs11Uri(keyUri).id as Uint8Array);
  // A key whose public key object is gone: only a test signature can tell whether a certificate matches.
  noPublicSpki = generateKeyInToken(token, 'EC:prime256v1', 'c0ffee', 'no-public');
  // A key on a token that is then flagged read-only.
  generateKeyInToken({ ...token, label: 'frozen' }, 'EC:prime256v1', 'f0', 'frozen-key');
  setSoftHsmTokenFlags(token, 'frozen', 0x2);
});
afterAll(() => tmp.remove());

describe('cert import', () => {
  let first: string;

  it('stores the certificate from the CSR beside its key and the CA as an authority certificate', async () => {
    const csr = await csrFor(keyUri, 'device');
    expect(csr.code, csr.stderr).toBe(0);
    first = issueFromCsr(path('device.csr'), 'device-1', 30);
    const before = objectFiles();
    const result = await importCert([
      '--label',
      'device',
      '--certificate',
      first,
      '--chain',
      `${issuing.certPath}`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(objectFiles()).toBe(before + 2);
    expect(result.stdout).toMatch(/^stored certificate ".*CN=device" \(serial [0-9a-f]+\), valid until /);
    expect(result.stdout).toMatch(/^stored CA certificate ".*CN=Import Issuing CA"/m);
    expect(result.stdout).toContain(
      `pkcs11:token=import;object=device;id=${[...keyId].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('')};type=cert?module-path=`,
    );

    const objects = certificateObjects();
    const leaf = objects.find((attrs) => attrs.get(pkcs11js.CKA_LABEL)?.toString() === 'device');
    const ca = objects.find((attrs) => attrs.get(pkcs11js.CKA_LABEL)?.toString() === 'Import Issuing CA');
    expect(leaf?.get(pkcs11js.CKA_ID)?.equals(keyId)).toBe(true);
    const leafDer = run('/usr/bin/openssl', ['x509', '-in', first, '-outform', 'DER']);
    expect(leaf?.get(pkcs11js.CKA_VALUE)?.equals(leafDer)).toBe(true);
    expect(leaf?.get(pkcs11js.CKA_CERTIFICATE_TYPE)?.readUInt32LE()).toBe(pkcs11js.CKC_X_509);
    expect(leaf?.get(pkcs11js.CKA_CERTIFICATE_CATEGORY)?.readUInt32LE()).toBe(1);
    expect([leaf?.get(pkcs11js.CKA_TOKEN)?.[0], leaf?.get(pkcs11js.CKA_PRIVATE)?.[0]]).toEqual([1, 0]);
    expect(asn1(leaf?.get(pkcs11js.CKA_SUBJECT) as Buffer)).toMatch(/commonName\s*\n.*:device\s*$/m);
    expect(asn1(leaf?.get(pkcs11js.CKA_ISSUER) as Buffer)).toMatch(/:Import Issuing CA/);
    const serial = asn1(leaf?.get(pkcs11js.CKA_SERIAL_NUMBER) as Buffer);
    expect(serial).toMatch(/prim: INTEGER\s+:([0-9A-F]+)/);
    expect(/INTEGER\s+:([0-9A-F]+)/.exec(serial)?.[1]?.toLowerCase().replace(/^0+/, '')).toBe(
      serialHex(first),
    );
    const ski = run('/usr/bin/openssl', [
      'x509',
      '-in',
      issuing.certPath,
      '-noout',
      '-ext',
      'subjectKeyIdentifier',
    ]).toString();
    expect(ca?.get(pkcs11js.CKA_ID)?.toString('hex')).toBe(
      /([0-9A-F:]{20,})/.exec(ski)?.[1]?.replace(/:/g, '').toLowerCase(),
    );
    expect(ca?.get(pkcs11js.CKA_CERTIFICATE_CATEGORY)?.readUInt32LE()).toBe(2);
  });

  it('a signer from the key URI alone uses the imported certificate and chain', async () => {
    const signer = await fromPkcs11({ uri: `${keyUri}&pin-value=${PIN}` });
    try {
      expect(signer.certificate.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(serialHex(first));
      expect(signer.chain.map((cert) => cert.subject)).toEqual([
        new x509.X509Certificate(readFileSync(issuing.certPath, 'utf8')).subject,
      ]);
    } finally {
      await signer.close();
    }
  });

  it('importing the same certificate and CA again stores nothing new', async () => {
    const before = objectFiles();
    const result = await importCert([
      '--label',
      'device',
      '--certificate',
      first,
      '--chain',
      issuing.certPath,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^already on the token: certificate /);
    expect(result.stdout).toMatch(/^already on the token: CA certificate /m);
    expect(objectFiles()).toBe(before);
  });

  it('rotation: a new certificate beside the old one is used by a new signer (latest expiry wins)', async () => {
    const csr = await csrFor(keyUri, 'device-renew');
    expect(csr.code, csr.stderr).toBe(0);
    const renewed = issueFromCsr(path('device-renew.csr'), 'device-2', 90);
    const shorter = issueFromCsr(path('device-renew.csr'), 'device-3', 10);
    // A long-running signer (the agent's) opened before the renewal picks it up when asked.
    const running = await fromPkcs11({ uri: `${keyUri}&pin-value=${PIN}` });
    const before = running.certificate.serialNumber;
    const result = await importCert(['--label', 'device', '--certificate', renewed]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /key "device" now has 2 certificates; new signers use the valid one expiring last: .*serial [0-9a-f]+\)/,
    );
    const signer = await fromPkcs11({ uri: `${keyUri}&pin-value=${PIN}` });
    try {
      expect(signer.certificate.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(serialHex(renewed));
    } finally {
      await signer.close();
    }
    try {
      expect(running.certificate.serialNumber).toBe(before);
      expect(await running.reloadCertificate?.()).toBe(true);
      expect(running.certificate.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(serialHex(renewed));
      expect(await running.reloadCertificate?.()).toBe(false);
    } finally {
      await running.close();
    }
    // A certificate expiring earlier than the current one is stored, and not used.
    expect((await importCert(['--label', 'device', '--certificate', shorter])).code).toBe(0);
    const again = await fromPkcs11({ uri: `${keyUri}&pin-value=${PIN}` });
    try {
      expect(again.certificate.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(serialHex(renewed));
    } finally {
      await again.close();
    }
    const listed = await cli(['key', 'list', '--token', tokenUri(), '--pkcs11-lib', token.module, '--json']);
    const listing = JSON.parse(listed.stdout).tokens[0] as {
      keys: Array<{ label: string; certificates: number }>;
      certificates: Array<{ key?: string; serial: string; status: string }>;
    };
    expect(listing.keys.find((key) => key.label === 'device')?.certificates).toBe(3);
    expect(
      listing.certificates
        .filter((cert) => cert.key === 'device')
        .map((cert) => cert.serial)
        .sort(),
    ).toEqual([serialHex(first), serialHex(renewed), serialHex(shorter)].sort());
  });

  it('matches by a test signature when the token keeps no public key object', async () => {
    deletePublicKeyObject(token, 'c0ffee');
    const spki = new Uint8Array(noPublicSpki).buffer;
    const mine = await issueWithDates(
      issuing,
      spki,
      'no-public',
      new Date(Date.now() - 60_000),
      new Date(Date.now() + 86_400_000),
    );
    const ok = await importCert(['--label', 'no-public', '--certificate', mine]);
    expect(ok.code, ok.stderr).toBe(0);
    const before = objectFiles();
    const wrong = await importCert(['--label', 'no-public', '--certificate', first]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^error: certificate .* does not match key "no-public" \(id c0ffee\) .*: the public keys differ$/m,
    );
    expect(objectFiles()).toBe(before);
  });

  it('a certificate not valid yet is stored, with a note; the report names the one valid now', async () => {
    const later = await issueWithDates(
      issuing,
      await spkiOfKey('device'),
      'device-future',
      new Date(Date.now() + 86_400_000),
      new Date(Date.now() + 400 * 86_400_000),
    );
    const result = await importCert(['--label', 'device', '--certificate', later]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^note: the certificate is not valid before /);
    expect(result.stdout).toMatch(/new signers use the valid one expiring last: .*CN=device/);
  });
});

/** SPKI DER of a token key, from the CSR our own command makes (a public key it reports). */
async function spkiOfKey(label: string): Promise<ArrayBuffer> {
  const uri = `pkcs11:token=import;object=${label}?module-path=${token.module}&pin-value=${PIN}`;
  const result = await cli(['csr', '--private-key', uri, '--subject', 'CN=probe']);
  if (result.code !== 0) throw new Error(result.stderr);
  const csr = new x509.Pkcs10CertificateRequest(result.stdout);
  return csr.publicKey.rawData;
}

describe('cert import refuses what does not belong on the token, and stores nothing', () => {
  let leafOfOther: string;
  let expired: string;
  let wrongChain: string;

  beforeAll(async () => {
    leafOfOther = issueLeaf(tmp.path, issuing, { name: 'someone-else' }).certPath;
    const spki = await spkiOfKey('device');
    expired = await issueWithDates(
      issuing,
      spki,
      'expired',
      new Date(Date.now() - 10 * 86_400_000),
      new Date(Date.now() - 86_400_000),
    );
    wrongChain = issueLeafForPublicKey(tmp.path, issuing, new Uint8Array(spki), {
      name: 'device-wrong-chain',
    }).certPath;
    writeFileSync(path('not-a-cert.pem'), readFileSync(issuing.keyPath));
  });

  const cases: Array<{ name: string; args: () => string[]; label?: string; code: RegExp; hint: RegExp }> = [
    {
      name: 'a certificate for another key',
      args: () => ['--label', 'device', '--certificate', leafOfOther],
      code: /^certificate ".*CN=someone-else" \(serial [0-9a-f]+\) does not match key "device" \(id [0-9a-f]+\) on token "import" .*: the public keys differ$/,
      hint: /certificate your CA issued for this key's CSR.*nothing was stored/,
    },
    {
      name: 'a CA certificate as the certificate',
      args: () => ['--label', 'device', '--certificate', issuing.certPath],
      code: /^certificate ".*Import Issuing CA" .* is a CA certificate, not an end-entity one$/,
      hint: /device \(leaf\) certificate/,
    },
    {
      name: 'an expired certificate',
      args: () => ['--label', 'device', '--certificate', expired],
      code: /^certificate "CN=expired, OU=DataCenter-Northeast" \(serial 0a1b2c\) expired on \d{4}-/,
      hint: /new certificate for this key; nothing was stored/,
    },
    {
      name: 'a leaf in the chain',
      args: () => ['--label', 'device', '--certificate', wrongChain, '--chain', leafOfOther],
      code: /^chain certificate ".*CN=someone-else" .* is not a CA certificate$/,
      hint: /--chain takes the CA certificates .*nothing was stored/,
    },
    {
      name: 'an unrelated CA in the chain',
      args: () => ['--label', 'device', '--certificate', wrongChain, '--chain', otherCa.certPath],
      code: /^chain certificate ".*Unrelated CA" .* is not in the chain of ".*device-wrong-chain"/,
      hint: /only the CAs that issued this certificate/,
    },
    {
      name: 'no key with the label',
      args: () => ['--label', 'nobody', '--certificate', wrongChain],
      code: /^no private key matches object=nobody on token "import" .*; private keys found: .*key "device"/,
      hint: /object=<label>/,
    },
    {
      name: 'the label of a key with another id',
      args: () => ['--label', 'device', '--id', '01', '--certificate', wrongChain],
      code: /^no private key matches object=device;id=%01 /,
      hint: /object=<label>/,
    },
    {
      name: 'a key file as the certificate',
      args: () => ['--label', 'device', '--certificate', path('not-a-cert.pem')],
      code: /^certificate .*not-a-cert\.pem is not an X\.509 certificate/,
      hint: /PEM or DER certificate/,
    },
    {
      name: 'a missing certificate file',
      args: () => ['--label', 'device', '--certificate', path('nope.crt')],
      code: /^cannot read certificate .*nope\.crt: no such file$/,
      hint: /path given/,
    },
    {
      name: 'a read-only token and a certificate for another key: the mismatch is told first',
      label: 'frozen',
      args: () => ['--label', 'frozen-key', '--certificate', wrongChain],
      code: /does not match key "frozen-key"/,
      hint: /nothing was stored/,
    },
  ];

  it.each(cases)('$name', async (testCase) => {
    const before = objectFiles();
    const result = await importCert(testCase.args(), testCase.label);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(2);
    expect(lines[0]?.replace(/^error: /, '')).toMatch(testCase.code);
    expect(lines[1]).toMatch(/^hint: /);
    expect(lines[1]).toMatch(testCase.hint);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain(PIN);
    expect(objectFiles()).toBe(before);
  });

  it('a matching certificate for a key on a read-only token: TOKEN_READ_ONLY, nothing stored', async () => {
    const csr = await cli([
      'csr',
      '--private-key',
      `pkcs11:token=frozen;object=frozen-key?module-path=${token.module}&pin-value=${PIN}`,
      '--subject',
      'CN=frozen,OU=DataCenter-Northeast',
      '--out',
      path('frozen.csr'),
    ]);
    expect(csr.code, csr.stderr).toBe(0);
    const cert = issueFromCsr(path('frozen.csr'), 'frozen', 30);
    const before = objectFiles();
    const result = await importCert(['--label', 'frozen-key', '--certificate', cert], 'frozen');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: token "frozen" .* is read-only: it reports CKF_WRITE_PROTECTED\nhint: .*nothing was created\n$/,
    );
    expect(objectFiles()).toBe(before);
  });

  it('when the token refuses the second of two objects, the first is destroyed again', async () => {
    const session = await openTokenSession({ uri: tokenUri(), module: token.module, write: true });
    try {
      const cert = new x509.X509Certificate(readFileSync(wrongChain, 'utf8'));
      const good = certificateTemplate(cert, { label: 'rollback', id: Uint8Array.from([0xee]) }, 1);
      // CKA_CERTIFICATE_TYPE 0x7fff is no certificate type SoftHSM knows: C_CreateObject fails.
      const bad = good.fallback.map((attribute) =>
        attribute.type === pkcs11js.CKA_CERTIFICATE_TYPE ? { ...attribute, value: 0x7fff } : attribute,
      );
      const before = objectFiles();
      expect(() =>
        createObjects(session, [
          { ...good, what: 'the first certificate' },
          { template: bad, what: 'a broken certificate' },
        ]),
      ).toThrow(/^cannot store a broken certificate on token "import" .*\(CKR_\w+ from C_CreateObject\)$/);
      expect(objectFiles()).toBe(before);
    } finally {
      session.close();
    }
  });
});
