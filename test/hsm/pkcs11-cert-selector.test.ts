import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeySourceArgs, signerFromArgs } from '../../src/cli/options/key-source';
import { isAgentError } from '../../src/errors';
import { fromPkcs11 } from '../../src/signer/from-pkcs11';
import type { X509Certificate } from '../../src/x509/x509';
import { createRootCa, issueLeaf, type TestLeaf } from '../helpers/pki';
import { createSoftHsmToken, importCertificate, importKey, type SoftHsmToken } from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

// One key on a token with the certificates of its life: the first one, its renewal (same
// subject, later expiry), one for another OU, all with the key's id; plus, with the same id,
// a certificate for a different key (left over from an earlier enrolment).
const tmp = makeTempDir('ra-pkcs11-selector-');
let token: SoftHsmToken;
let first: TestLeaf;
let renewed: TestLeaf;
let otherOu: TestLeaf;
let stale: TestLeaf;
const SUBJECT = 'CN=edge-1,OU=DataCenter-Northeast,O=Example';
const serialOf = (leaf: TestLeaf) => leaf.serialHex.replace(/^0+/, '');
const sameSerial = (cert: X509Certificate, leaf: TestLeaf) =>
  BigInt(`0x${cert.serialNumber}`) === BigInt(`0x${leaf.serialHex}`);

beforeAll(() => {
  const ca = createRootCa(tmp.path, 'Selector Token CA');
  token = createSoftHsmToken(tmp.path, 'edge');
  first = issueLeaf(tmp.path, ca, {
    name: 'edge-1',
    subject: '/O=Example/OU=DataCenter-Northeast/CN=edge-1',
    days: 30,
  });
  renewed = issueLeaf(tmp.path, ca, {
    name: 'edge-1-renewed',
    subject: '/O=Example/OU=DataCenter-Northeast/CN=edge-1',
    keyPath: first.keyPath,
    days: 400,
  });
  otherOu = issueLeaf(tmp.path, ca, {
    name: 'edge-1-west',
    subject: '/O=Example/OU=DataCenter-West/CN=edge-1',
    keyPath: first.keyPath,
    days: 200,
  });
  stale = issueLeaf(tmp.path, ca, {
    name: 'stale',
    subject: '/O=Example/OU=DataCenter-Northeast/CN=edge-1',
    days: 900,
  });
  importKey(token, first.keyPath, '01', 'edge-1');
  importCertificate(token, first.certPath, '01', 'edge-1');
  importCertificate(token, renewed.certPath, '01', 'edge-1');
  importCertificate(token, otherOu.certPath, '01', 'edge-1');
  importCertificate(token, stale.certPath, '01', 'edge-1');
});

afterAll(() => tmp.remove());

const keyUri = () => `pkcs11:token=edge;object=edge-1?module-path=${token.module}&pin-value=${token.pin}`;

async function leafFor(args: Partial<KeySourceArgs>): Promise<X509Certificate> {
  const signer = await signerFromArgs({ privateKey: keyUri(), ...args });
  try {
    return signer.certificate;
  } finally {
    await signer.close();
  }
}

async function failure(args: Partial<KeySourceArgs>) {
  try {
    await (await signerFromArgs({ privateKey: keyUri(), ...args })).close();
  } catch (error) {
    if (isAgentError(error)) return error;
    throw error;
  }
  throw new Error('expected signerFromArgs to fail');
}

describe('fromPkcs11 certificateFilter', () => {
  it('sees only the certificates that match the key, latest expiry first, and the key description', async () => {
    const seen: { serials: string[]; description: string }[] = [];
    const signer = await fromPkcs11({
      uri: keyUri(),
      certificateFilter: (certificates, description) => {
        seen.push({ serials: certificates.map((cert) => cert.serialNumber), description });
        return certificates.slice(1);
      },
    });
    try {
      expect(seen).toHaveLength(1);
      const [call] = seen as [{ serials: string[]; description: string }];
      // The stale certificate (another key, same id) never reaches the filter.
      expect(call.serials.map((hex) => BigInt(`0x${hex}`))).toEqual(
        [renewed, otherOu, first].map((leaf) => BigInt(`0x${leaf.serialHex}`)),
      );
      expect(call.description).toMatch(/^key "edge-1" \(id 01\) on token "edge"/);
      // The first certificate the filter returns is used.
      expect(sameSerial(signer.certificate, otherOu)).toBe(true);
    } finally {
      await signer.close();
    }
  });
});

describe('--cert-selector on a PKCS#11 key', () => {
  it('picks by subject in Go format; two matches need --use-latest-expiring-certificate', async () => {
    const selector = `Key=x509Subject,Value=${SUBJECT}`;
    const ambiguous = await failure({ certSelector: selector });
    expect(ambiguous.code).toBe('CERT_SELECTOR_AMBIGUOUS');
    expect(ambiguous.message).toContain(`x509Serial ${serialOf(first)}`);
    expect(ambiguous.message).toContain(`x509Serial ${serialOf(renewed)}`);
    expect(ambiguous.message).not.toContain(serialOf(stale));
    const latest = await leafFor({ certSelector: selector, useLatestExpiringCertificate: true });
    expect(sameSerial(latest, renewed)).toBe(true);
  });

  it('picks the one the serial names, even when another expires later', async () => {
    const cert = await leafFor({ certSelector: `Key=x509Serial,Value=${first.serialHex}` });
    expect(sameSerial(cert, first)).toBe(true);
  });

  it('picks by OU through the subject, from a file:// JSON selector, through --certificate pkcs11: alone too', async () => {
    const { writeFileSync } = await import('node:fs');
    const path = `${tmp.path}/west.json`;
    writeFileSync(
      path,
      JSON.stringify([{ Key: 'x509Subject', Value: 'CN=edge-1,OU=DataCenter-West,O=Example' }]),
    );
    expect(sameSerial(await leafFor({ certSelector: `file://${path}` }), otherOu)).toBe(true);
    const viaCertificate = await signerFromArgs({ certificate: keyUri(), certSelector: `file://${path}` });
    try {
      expect(sameSerial(viaCertificate.certificate, otherOu)).toBe(true);
    } finally {
      await viaCertificate.close();
    }
  });

  it('no match: an error listing the key certificates as a selector would name them', async () => {
    const error = await failure({
      certSelector: 'Key=x509Subject,Value=O=Example, OU=DataCenter-Northeast, CN=edge-1',
    });
    expect(error.code).toBe('CERT_SELECTOR_NO_MATCH');
    expect(error.message).toContain(
      `{x509Subject "${SUBJECT}", x509Issuer "CN=Selector Token CA,O=rolesanywhere-agent tests"`,
    );
    expect(error.hint).toContain('no space after commas');
  });

  it('a selector that cannot be read fails before the token is opened', async () => {
    const error = await failure({
      privateKey: 'pkcs11:token=no-such-token;object=x?module-path=/nonexistent.so',
      certSelector: 'Key=x509Subject',
    });
    expect(error.code).toBe('CERT_SELECTOR_INVALID');
  });

  it('with --certificate, a selector is a conflict; with no key at all, the stores are not on this platform', async () => {
    expect(
      (
        await failure({
          certificate: first.certPath,
          privateKey: first.keyPath,
          certSelector: 'Key=x509Subject,Value=CN=a',
        })
      ).code,
    ).toBe('CERT_SELECTOR_CONFLICT');
    expect(
      (await failure({ certificate: renewed.certPath, certSelector: 'Key=x509Subject,Value=CN=a' })).message,
    ).toMatch(/certificate stores/);
    const none = await failure({ privateKey: undefined, certSelector: 'Key=x509Subject,Value=CN=a' });
    expect(none.code).toBe('PLATFORM_UNSUPPORTED');
    expect(none.message).toMatch(/Windows\/macOS certificate stores, which this platform does not have/);
    expect((await failure({ systemStoreName: 'MY' })).code).toBe('PLATFORM_UNSUPPORTED');
  });
});
