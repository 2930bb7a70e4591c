import { readSerialNumber } from '../x509/certificate-fields';
import type { Signer } from './signer';

/** What a request signature says of the leaf: its DER (X-Amz-X509) and serial (the Credential). */
export interface SignerLeaf {
  der: Uint8Array;
  /** As X509Certificate.serialNumber. */
  serialNumber: string;
}

/** The signer's leaf, read from certificateDer when the signer has it, so `certificate` stays unparsed. */
export function signerLeaf(signer: Pick<Signer, 'certificate' | 'certificateDer'>): SignerLeaf {
  const der = signer.certificateDer;
  const serialNumber = der && readSerialNumber(der);
  if (der && serialNumber !== undefined) return { der, serialNumber };
  const { certificate } = signer;
  return { der: new Uint8Array(certificate.rawData), serialNumber: certificate.serialNumber };
}
