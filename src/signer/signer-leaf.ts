import type { Signer, SignerLeaf } from './signer';

/** The signer's leaf as it holds it, so that a key file's `certificate` stays unparsed. */
export function signerLeaf(signer: Pick<Signer, 'certificate' | 'leaf'>): SignerLeaf {
  if (signer.leaf) return signer.leaf;
  const { certificate } = signer;
  return { der: new Uint8Array(certificate.rawData), serialNumber: certificate.serialNumber };
}
