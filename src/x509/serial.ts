import type { X509Certificate } from './x509';

/** A certificate serial in decimal, as the Credential of a SigV4-X509 Authorization header carries it. */
export function serialToDecimal(cert: X509Certificate): string {
  return BigInt(`0x${cert.serialNumber}`).toString(10);
}

/** The serial in lower-case hex without leading zero bytes (the default role session name). */
export function serialToHex(cert: X509Certificate): string {
  return BigInt(`0x${cert.serialNumber}`).toString(16);
}
