import type { KeyObject } from 'node:crypto';
import { AgentError } from '../errors';
import { assertSupportedKey, keyMatchesCertificate } from '../keys/key-match';
import { isPkcs12, readPkcs12 } from '../keys/pkcs12';
import { loadPrivateKey } from '../keys/private-key';
import { buildChain } from '../x509/chain';
import { type LazyCertificate, parsedCertificate } from '../x509/lazy-certificate';
import { assertUsableLeaf, describeCertificate } from '../x509/leaf';
import { isPemText, loadCertificates, loadLazyCertificates, readUserFile } from '../x509/load';
import type { X509Certificate } from '../x509/x509';
import { fromKeyObject } from './from-key-object';
import type { Signer } from './signer';

export interface FromFileOptions {
  /** Path or PEM text: a PEM or DER certificate, or a PKCS#12 bundle (.p12/.pfx, found by content). */
  certificate: string;
  /** Path or PEM text: PKCS#8 (plain or encrypted), SEC1 EC or PKCS#1 RSA, PEM or DER. Not with a PKCS#12 bundle. */
  privateKey?: string;
  /** Path or PEM text: CA certificates to build the chain from; unrelated ones are left out. */
  intermediates?: string;
  /** Password of an encrypted PKCS#8 key or of a PKCS#12 bundle (--pkcs8-password). */
  password?: string;
}

/** How an input is named in messages: its path, or "(PEM text)" when the PEM itself was given. */
function describeSource(what: string, source: string): string {
  return isPemText(source) ? `${what} (PEM text)` : `${what} ${source}`;
}

function readSource(what: string, source: string): Buffer {
  return isPemText(source) ? Buffer.from(source) : readUserFile(source, what);
}

/** A certificate file's certificates are parsed (@peculiar/x509) only when needed: see LazyCertificate. */
type Certificate = X509Certificate | LazyCertificate;

interface Identity {
  leaf: Certificate;
  key: KeyObject;
  keyLabel: string;
  /** Certificates that came with the key (a PKCS#12 bundle's CA certificates, a fullchain file's). */
  extra: Certificate[];
}

/**
 * A Signer over a key file and its certificate, checked before it is handed out: the leaf is an
 * end-entity certificate that allows digitalSignature, the key is RSA or EC and is the
 * certificate's own, and the chain is ordered from the leaf's issuer with unrelated CAs dropped.
 */
export async function fromFile(options: FromFileOptions): Promise<Signer> {
  const certLabel = describeSource('certificate', options.certificate);
  const certBytes = readSource('certificate', options.certificate);
  const identity = isPkcs12(certBytes)
    ? fromPkcs12(certBytes, certLabel, options)
    : fromSeparateFiles(certBytes, certLabel, options);
  const { leaf, key, keyLabel } = identity;

  assertUsableLeaf(leaf, certLabel);
  assertSupportedKey(key, keyLabel);
  if (!keyMatchesCertificate(key, leaf)) {
    throw new AgentError(
      'KEY_CERT_MISMATCH',
      `${keyLabel} does not match ${certLabel} ${describeCertificate(leaf)}`,
      {
        hint: 'give the private key the certificate was issued for (compare `openssl pkey -pubout` with `openssl x509 -pubkey`)',
      },
    );
  }

  const intermediates = options.intermediates ? loadCertificates(options.intermediates, 'intermediates') : [];
  const candidates = [...intermediates, ...identity.extra.map(parsedCertificate)];
  // Without candidates there is no chain, and the leaf need not be parsed to say so.
  const chain = candidates.length === 0 ? [] : await buildChain(parsedCertificate(leaf), candidates);
  return fromKeyObject(key, leaf, chain);
}

function fromSeparateFiles(certBytes: Buffer, certLabel: string, options: FromFileOptions): Identity {
  // A "fullchain" file is accepted as aws_signing_helper accepts it: the first certificate is the
  // leaf; the others become chain candidates instead of being ignored.
  const [leaf, ...rest] =
    loadLazyCertificates(certBytes, certLabel) ?? loadCertificates(certBytes, certLabel);
  if (!leaf)
    throw new AgentError('CERT_INVALID', `${certLabel} holds no certificate`, {
      hint: 'give a PEM or DER certificate file',
    });
  if (options.privateKey === undefined) {
    throw new AgentError('KEY_MISSING', `no private key given for ${certLabel}`, {
      hint: 'give the key file with --private-key, or a PKCS#12 bundle (key and certificate) as --certificate',
    });
  }
  const keyLabel = describeSource('private key', options.privateKey);
  const key = loadPrivateKey(readSource('private key', options.privateKey), options.password, keyLabel);
  return { leaf, key, keyLabel, extra: rest };
}

function fromPkcs12(bytes: Buffer, certLabel: string, options: FromFileOptions): Identity {
  if (options.privateKey !== undefined) {
    throw new AgentError(
      'KEY_AMBIGUOUS',
      `${certLabel} is a PKCS#12 bundle, which holds its own key, and --private-key was given too`,
      {
        hint: 'give the PKCS#12 bundle alone as --certificate, or the certificate and key as separate files',
      },
    );
  }
  const bundle = readPkcs12(bytes, options.password, certLabel);
  const keyLabel = `private key in ${certLabel}`;
  if (bundle.privateKeys.length === 0) {
    throw new AgentError('PKCS12_NO_KEY', `${certLabel} holds no private key`, {
      hint: 'export the bundle with its key (`openssl pkcs12 -export -inkey KEY -in CERT`), or give --private-key with a PEM certificate',
    });
  }
  // The leaf is the certificate whose public key is one of the bundle's keys; the others are chain candidates.
  for (const key of bundle.privateKeys) {
    const leaf = bundle.certificates.find((cert) => keyMatchesCertificate(key, cert));
    if (leaf) return { leaf, key, keyLabel, extra: bundle.certificates.filter((cert) => cert !== leaf) };
  }
  throw new AgentError('KEY_CERT_MISMATCH', `${certLabel} holds no certificate for its private key`, {
    hint: 'export the bundle with the certificate issued for its key (`openssl pkcs12 -export -inkey KEY -in CERT`)',
  });
}
