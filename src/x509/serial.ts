/** A certificate, or anything else that carries its serial as X509Certificate.serialNumber does (hex). */
interface HasSerial {
  readonly serialNumber: string;
}

/** A certificate serial in decimal, as the Credential of a SigV4-X509 Authorization header carries it. */
export function serialToDecimal(cert: HasSerial): string {
  return BigInt(`0x${cert.serialNumber}`).toString(10);
}

/** The serial in lower-case hex without leading zero bytes (the default role session name). */
export function serialToHex(cert: HasSerial): string {
  return BigInt(`0x${cert.serialNumber}`).toString(16);
}
