/** DER bytes in base64, without copying them. */
export function toBase64(der: Uint8Array | ArrayBuffer): string {
  const bytes =
    der instanceof Uint8Array ? Buffer.from(der.buffer, der.byteOffset, der.byteLength) : Buffer.from(der);
  return bytes.toString('base64');
}

/** DER bytes as a PEM block: base64 in lines of 64 characters between BEGIN and END lines. */
export function toPem(label: string, der: Uint8Array | ArrayBuffer): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
