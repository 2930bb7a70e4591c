import type { X509Certificate } from '@peculiar/x509';

export type KeyType = 'rsa' | 'ec';
export type EcCurve = 'P-256' | 'P-384' | 'P-521';
export type Digest = 'SHA256' | 'SHA384' | 'SHA512';
export type SigningAlgorithm = 'AWS4-X509-RSA-SHA256' | 'AWS4-X509-ECDSA-SHA256';

/** What a request signature says of the leaf: its DER (X-Amz-X509) and serial (the Credential). */
export interface SignerLeaf {
  readonly der: Uint8Array;
  /** As X509Certificate.serialNumber. */
  readonly serialNumber: string;
}

/**
 * The one way a private key is used. Whatever holds the key (a file, a PKCS#11 token, a TPM,
 * the agent) only ever hands out signatures: RSA PKCS#1 v1.5 or DER-encoded ECDSA-Sig-Value.
 */
export interface Signer {
  readonly keyType: KeyType;
  /** Named curve of an EC key; undefined for RSA. */
  readonly curve?: EcCurve;
  /** RSA modulus size in bits; undefined for EC. */
  readonly modulusBits?: number;
  readonly algorithm: SigningAlgorithm;
  /** The leaf certificate whose public key matches the private key. */
  readonly certificate: X509Certificate;
  /**
   * The leaf's DER and serial, where the signer has them without parsing `certificate` (key
   * files: parsed only when read). Request signing reads these (see signerLeaf), not `certificate`.
   */
  readonly leaf?: SignerLeaf;
  /** Intermediates in order, the leaf's issuer first; never the leaf, never an unrelated certificate. */
  readonly chain: readonly X509Certificate[];
  /** Signs `data` (not a digest): hashes it with `digest` and signs the hash. */
  sign(data: Uint8Array, digest?: Digest): Promise<Uint8Array>;
  /**
   * Where the certificate can change under the signer (renewed on the token beside the key):
   * reads it again and switches to the preferred one. True when the certificate changed.
   */
  reloadCertificate?(): Promise<boolean>;
  /** Releases what the signer holds (token sessions). Safe to call twice. */
  close(): Promise<void>;
}

export function algorithmFor(keyType: KeyType): SigningAlgorithm {
  return keyType === 'rsa' ? 'AWS4-X509-RSA-SHA256' : 'AWS4-X509-ECDSA-SHA256';
}
