import { createHash, type KeyObject, randomBytes, verify } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AgentError } from '../errors';
import { buildChain, isSelfIssued, namesIssuer } from '../x509/chain';
import { assertUsableLeaf, describeCertificate } from '../x509/leaf';
import { type X509Certificate, x509 } from '../x509/x509';
import { CATEGORY_AUTHORITY, CATEGORY_TOKEN_USER, certificateTemplate } from './cert-template';
import { createObjects } from './create-objects';
import { certificatesOnToken, describeKey, findPrivateKey, type PrivateKeyObject } from './key';
import { assertLabel } from './keygen';
import { curveOfKey, spkiPublicKey } from './public-key';
import { signOnSession } from './session-sign';
import type { TokenSession } from './token-session';

export interface ImportCertificateOptions {
  /** Label of the key the certificate is for; the certificate gets the same label and id. */
  label: string;
  /** CKA_ID of the key, when the label alone does not pick one key. */
  id?: Uint8Array;
  certificate: X509Certificate;
  /** CA certificates of the chain (any order; a root may be among them). */
  chain?: readonly X509Certificate[];
  /** For the validity check; default now. */
  now?: Date;
}

export interface StoredCertificate {
  certificate: X509Certificate;
  label: string;
  id: Uint8Array;
  /** False when the token already held this exact certificate (nothing new was written). */
  stored: boolean;
}

export interface ImportResult {
  key: Pick<PrivateKeyObject, 'label' | 'id' | 'keyType' | 'curve' | 'modulusBits'>;
  leaf: StoredCertificate;
  chain: StoredCertificate[];
  /** Certificates the token now holds for the key (the old ones of a rotation included). */
  certificatesForKey: X509Certificate[];
}

const NOTHING_STORED = 'nothing was stored';

function certificateKey(cert: X509Certificate): KeyObject {
  return spkiPublicKey(new Uint8Array(cert.publicKey.rawData));
}

function mismatch(
  key: PrivateKeyObject,
  token: TokenSession,
  cert: X509Certificate,
  detail: string,
): AgentError {
  return new AgentError(
    'KEY_CERT_MISMATCH',
    `certificate ${describeCertificate(cert)} does not match ${describeKey(key)} on ${token.description}: ${detail}`,
    {
      hint: `import the certificate your CA issued for this key's CSR (made with \`csr --private-key\`); ${NOTHING_STORED}`,
    },
  );
}

/** One test signature with the key, verified with the certificate key: for tokens that hide public data. */
async function signsFor(token: TokenSession, key: PrivateKeyObject, publicKey: KeyObject): Promise<boolean> {
  const challenge = randomBytes(32);
  const signature = await signOnSession(token, key, challenge, 'SHA256');
  return verify('sha256', challenge, { key: publicKey, dsaEncoding: 'der' }, signature);
}

/** Throws KEY_CERT_MISMATCH unless `cert` carries the public half of `key`. */
export async function assertCertificateMatches(
  token: TokenSession,
  key: PrivateKeyObject,
  cert: X509Certificate,
): Promise<void> {
  const publicKey = certificateKey(cert);
  const certType = publicKey.asymmetricKeyType;
  if (certType !== key.keyType) {
    throw mismatch(
      key,
      token,
      cert,
      `it has an ${String(certType).toUpperCase()} key, the token key is ${key.keyType.toUpperCase()}`,
    );
  }
  if (key.keyType === 'ec' && curveOfKey(publicKey) !== key.curve) {
    throw mismatch(
      key,
      token,
      cert,
      `its key is on ${curveOfKey(publicKey) ?? 'another curve'}, the token key on ${key.curve}`,
    );
  }
  if (key.publicKey ? !key.publicKey.equals(publicKey) : !(await signsFor(token, key, publicKey))) {
    throw mismatch(key, token, cert, 'the public keys differ');
  }
}

function assertCurrent(cert: X509Certificate, now: Date): void {
  if (cert.notAfter.getTime() <= now.getTime()) {
    throw new AgentError(
      'CERT_EXPIRED',
      `certificate ${describeCertificate(cert)} expired on ${cert.notAfter.toISOString()}`,
      { hint: `ask the CA for a new certificate for this key; ${NOTHING_STORED}` },
    );
  }
}

/**
 * The chain certificates in order (the leaf's issuer first), roots last. Each must be a CA and
 * take part in the leaf's chain: an unrelated certificate is refused, not stored.
 */
async function orderChain(
  leaf: X509Certificate,
  chain: readonly X509Certificate[],
): Promise<X509Certificate[]> {
  for (const cert of chain) {
    if (!cert.getExtension(x509.BasicConstraintsExtension)?.ca) {
      throw new AgentError(
        'CHAIN_NOT_CA',
        `chain certificate ${describeCertificate(cert)} is not a CA certificate`,
        {
          hint: `--chain takes the CA certificates above the leaf (intermediates, optionally the root); ${NOTHING_STORED}`,
        },
      );
    }
  }
  const intermediates = await buildChain(leaf, chain);
  const top = intermediates.at(-1) ?? leaf;
  const ordered = [...intermediates];
  for (const cert of chain) {
    if (ordered.some((taken) => taken.equal(cert))) continue;
    const isRoot =
      (await isSelfIssued(cert)) &&
      namesIssuer(cert, top) &&
      (await top.verify({ publicKey: cert.publicKey, signatureOnly: true }));
    if (!isRoot) {
      throw new AgentError(
        'CHAIN_UNRELATED',
        `chain certificate ${describeCertificate(cert)} is not in the chain of ${describeCertificate(leaf)}`,
        { hint: `give only the CAs that issued this certificate, leaf's issuer first; ${NOTHING_STORED}` },
      );
    }
    ordered.push(cert);
  }
  return ordered;
}

/** A CA certificate's own label (its CN, else its subject) and id (its subject key identifier, else a hash of its key). */
function caNaming(
  cert: X509Certificate,
  key: Pick<PrivateKeyObject, 'label' | 'id'>,
): { label: string; id: Uint8Array } {
  const cn = cert.subjectName.getField('CN')[0];
  let label = cn && cn !== '' ? cn : cert.subject;
  if (label === key.label) label = `${label} (CA)`;
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  let id = ski
    ? Uint8Array.from(Buffer.from(ski, 'hex'))
    : Uint8Array.from(createHash('sha1').update(new Uint8Array(cert.publicKey.rawData)).digest());
  // Never the key's id: the key's certificates are found by it.
  if (Buffer.from(id).equals(Buffer.from(key.id))) {
    id = Uint8Array.from(createHash('sha1').update(new Uint8Array(cert.rawData)).digest());
  }
  return { label, id };
}

function parseAll(ders: readonly Uint8Array[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const der of ders) {
    try {
      out.push(new x509.X509Certificate(der));
    } catch {
      // Not a certificate we can read: not ours to judge here.
    }
  }
  return out;
}

/**
 * Stores `certificate` for the key labelled `label` (same CKA_LABEL and CKA_ID as the key)
 * and the CA certificates of `chain` with their own labels, after checking that the
 * certificate matches the key and the chain belongs to it. Certificates already on the token
 * are not stored twice. A new certificate beside an old one (rotation) is allowed. On any
 * failure, what was created is destroyed again.
 */
export async function importCertificate(
  token: TokenSession,
  options: ImportCertificateOptions,
): Promise<ImportResult> {
  assertLabel(options.label);
  const leaf = options.certificate;
  assertUsableLeaf(leaf, 'certificate');
  assertCurrent(leaf, options.now ?? new Date());
  const chain = await orderChain(leaf, options.chain ?? []);
  const key = findPrivateKey(token, { object: options.label, ...(options.id ? { id: options.id } : {}) });
  await assertCertificateMatches(token, key, leaf);

  const onToken = parseAll(certificatesOnToken(token));
  const present = (cert: X509Certificate) => onToken.some((existing) => existing.equal(cert));
  const leafNaming = { label: key.label, id: key.id };
  const planned = [
    {
      certificate: leaf,
      naming: leafNaming,
      category: CATEGORY_TOKEN_USER,
      what: `certificate ${describeCertificate(leaf)}`,
    },
    ...chain.map((cert) => ({
      certificate: cert,
      naming: caNaming(cert, key),
      category: CATEGORY_AUTHORITY,
      what: `CA certificate ${describeCertificate(cert)}`,
    })),
  ];
  const toStore = planned.filter((item) => !present(item.certificate));
  if (toStore.length > 0) token.assertWritable();
  createObjects(
    token,
    toStore.map((item) => ({
      ...certificateTemplate(item.certificate, item.naming, item.category),
      what: item.what,
    })),
  );
  const stored = (item: (typeof planned)[number]): StoredCertificate => ({
    certificate: item.certificate,
    label: item.naming.label,
    id: item.naming.id,
    stored: toStore.includes(item),
  });
  const [leafItem, ...chainItems] = planned;
  const template =
    key.id.length > 0
      ? [{ type: pkcs11js.CKA_ID, value: Buffer.from(key.id) }]
      : [{ type: pkcs11js.CKA_LABEL, value: Buffer.from(key.label, 'utf8') }];
  return {
    key: {
      label: key.label,
      id: key.id,
      keyType: key.keyType,
      ...(key.curve ? { curve: key.curve } : {}),
      ...(key.modulusBits ? { modulusBits: key.modulusBits } : {}),
    },
    leaf: stored(leafItem as (typeof planned)[number]),
    chain: chainItems.map(stored),
    certificatesForKey: parseAll(certificatesOnToken(token, template)),
  };
}
