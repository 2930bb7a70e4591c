import { createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../src/x509/x509';
import { runCli } from '../helpers/cli';
import { createRootCa, issueLeaf } from '../helpers/pki';
import {
  createSoftHsmToken,
  deletePublicKeyObject,
  generateKeyInToken,
  type SoftHsmToken,
} from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';
import { run } from '../helpers/tools';

const PIN = '305577';
const tmp = makeTempDir('ra-csr-hsm-');
const path = (name: string) => join(tmp.path, name);
let token: SoftHsmToken;
const spkis = new Map<string, Buffer>();

const KEYS = [
  ['ec-p256', 'EC:prime256v1', '01', 'ecdsa-with-SHA256'],
  ['ec-p384', 'EC:secp384r1', '02', 'ecdsa-with-SHA384'],
  ['rsa-2048', 'rsa:2048', '03', 'sha256WithRSAEncryption'],
  ['rsa-3072', 'rsa:3072', '04', 'sha256WithRSAEncryption'],
] as const;

beforeAll(() => {
  token = createSoftHsmToken(tmp.path, 'csr', PIN);
  for (const [name, type, id] of KEYS) spkis.set(name, generateKeyInToken(token, type, id, name));
  generateKeyInToken(token, 'EC:prime256v1', '09', 'hidden-public');
  deletePublicKeyObject(token, '09');
});
afterAll(() => tmp.remove());

const keyUri = (label: string) =>
  `pkcs11:token=csr;object=${label}?module-path=${token.module}&pin-value=${PIN}`;
const csr = (args: string[]) => runCli(['csr', ...args], { env: token.env });

describe('csr with keys on a SoftHSM token', () => {
  it.each(KEYS)(
    'a %s token key signs a CSR that openssl verifies, carrying that key',
    async (name, _type, _id, algorithm) => {
      const result = await csr([
        '--private-key',
        keyUri(name),
        '--subject',
        `CN=edge-${name},OU=DataCenter-Northeast,O=Example Corp,C=US`,
        '--san',
        `dns:edge-${name}.example.com,uri:spiffe://example.com/edge/${name},ip:192.0.2.7`,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(
        /^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+\n-----END CERTIFICATE REQUEST-----\n$/,
      );
      const file = path(`${name}.csr`);
      writeFileSync(file, result.stdout);
      const verified = run(
        '/usr/bin/openssl',
        ['req', '-in', file, '-noout', '-verify', '-subject', '-nameopt', 'RFC2253'],
        {},
      ).toString();
      expect(verified).toContain(`subject=CN=edge-${name},OU=DataCenter-Northeast,O=Example Corp,C=US`);
      const text = run('/usr/bin/openssl', ['req', '-in', file, '-noout', '-text']).toString();
      expect(text).toContain(`Signature Algorithm: ${algorithm}`);
      expect(text).toContain(
        `DNS:edge-${name}.example.com, URI:spiffe://example.com/edge/${name}, IP Address:192.0.2.7`,
      );
      const request = new x509.Pkcs10CertificateRequest(result.stdout);
      const inCsr = createPublicKey({
        key: Buffer.from(request.publicKey.rawData),
        format: 'der',
        type: 'spki',
      });
      const onToken = createPublicKey({ key: spkis.get(name) as Buffer, format: 'der', type: 'spki' });
      expect(inCsr.equals(onToken)).toBe(true);
      expect(result.stdout + result.stderr).not.toContain(PIN);
    },
  );

  it('--out writes the PEM atomically, readable (0644), replacing an older file, no temp file left', async () => {
    const out = path('out/edge.csr');
    const first = await csr(['--private-key', keyUri('ec-p256'), '--subject', 'CN=first', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toBe(`wrote the certificate request for "CN=first" to ${out}\n`);
    const second = await csr(['--private-key', keyUri('ec-p256'), '--subject', 'CN=second', '--out', out]);
    expect(second.code, second.stderr).toBe(0);
    expect(new x509.Pkcs10CertificateRequest(run('/bin/cat', [out]).toString()).subject).toBe('CN=second');
    expect(statSync(out).mode & 0o777).toBe(0o644);
    expect(readdirSync(path('out'))).toEqual(['edge.csr']);
  });

  it('a key file works too', async () => {
    const ca = createRootCa(tmp.path, 'File CA');
    const leaf = issueLeaf(tmp.path, ca, { name: 'file-key', keyType: 'ec-p384' });
    const result = await csr(['--private-key', leaf.keyPath, '--subject', 'CN=file-key']);
    expect(result.code, result.stderr).toBe(0);
    writeFileSync(path('file.csr'), result.stdout);
    expect(run('/usr/bin/openssl', ['req', '-in', path('file.csr'), '-noout', '-verify']).toString()).toBe(
      '',
    );
  });

  const bad: Array<[string, string[], RegExp, RegExp]> = [
    [
      'unknown attribute',
      ['--subject', 'CN=edge,XX=1'],
      /^invalid --subject: unknown attribute "XX" in "XX=1"/,
      /RFC 4514/,
    ],
    [
      'a part without "="',
      ['--subject', 'CN=edge,Example Corp'],
      /^invalid --subject: "Example Corp" has no "="/,
      /RFC 4514/,
    ],
    [
      'an empty value',
      ['--subject', 'CN=edge,OU='],
      /^invalid --subject: "OU=" has an empty value/,
      /RFC 4514/,
    ],
    [
      'a three-letter country',
      ['--subject', 'CN=edge,C=USA'],
      /"C=USA": C must be a two-letter country code/,
      /RFC 4514/,
    ],
    ['a doubled comma', ['--subject', 'CN=edge,,O=x'], /part 2 is empty/, /RFC 4514/],
    ['a bad escape', ['--subject', 'CN=ed\\ge'], /bad escape "\\g"/, /RFC 4514/],
    ['an empty subject', ['--subject', ''], /^invalid --subject: it is empty/, /RFC 4514/],
    [
      'a SAN without type',
      ['--subject', 'CN=edge', '--san', 'edge.example.com'],
      /^invalid --san: "edge.example.com" has no type/,
      /dns, uri, email, ip/,
    ],
    [
      'a SAN of unknown type',
      ['--subject', 'CN=edge', '--san', 'dns:a.example.com,upn:x'],
      /unknown type "upn" in "upn:x"/,
      /dns, uri, email, ip/,
    ],
    [
      'a SAN DNS name with a space',
      ['--subject', 'CN=edge', '--san', 'dns:a b.example.com'],
      /"a b.example.com" is not a DNS name/,
      /TYPE:VALUE/,
    ],
  ];
  it.each(bad)('refuses %s, naming the bad part, and writes nothing', async (_name, args, message, hint) => {
    const out = path('never.csr');
    const result = await csr(['--private-key', keyUri('ec-p256'), ...args, '--out', out]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]?.replace(/^error: /, '')).toMatch(message);
    expect(lines[1]).toMatch(hint);
    expect(existsSync(out)).toBe(false);
  });

  it('a key whose public half the token keeps unreadable: a clear error', async () => {
    const result = await csr(['--private-key', keyUri('hidden-public'), '--subject', 'CN=x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: the token does not give the public key of key "hidden-public" \(id 09\) on token "csr"/,
    );
    expect(result.stderr).toMatch(/^hint: a CSR carries the public key: store it on the token/m);
  });

  it('a certificate URI is not a key', async () => {
    const result = await csr([
      '--private-key',
      `pkcs11:token=csr;object=ec-p256;type=cert?pin-value=${PIN}`,
      '--subject',
      'CN=x',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: invalid pkcs11 uri: type=cert cannot name a private key$/m);
  });
});
