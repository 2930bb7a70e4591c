import { serialToDecimal } from './serial';
import type { X509Certificate } from './x509';

/** The read-certificate-data JSON of aws_signing_helper, field for field. */
export interface CertificateData {
  keyType: 'RSA' | 'EC';
  certificateData: string;
  serialNumber: string;
  supportedAlgorithms: string[];
}

export function certificateData(cert: X509Certificate): CertificateData {
  const keyType =
    cert.publicKey.algorithm.name === 'RSASSA-PKCS1-v1_5' || cert.publicKey.algorithm.name === 'RSA-PSS'
      ? 'RSA'
      : 'EC';
  return {
    keyType,
    certificateData: Buffer.from(cert.rawData).toString('base64'),
    serialNumber: serialToDecimal(cert),
    supportedAlgorithms: ['SHA256', 'SHA384', 'SHA512'],
  };
}
