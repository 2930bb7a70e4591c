import { sha256Hex } from './hashed-payload';

/** The string to sign: algorithm, X-Amz-Date, credential scope, hex SHA-256 of the canonical request. */
export function createStringToSign(
  algorithm: string,
  amzDate: string,
  scope: string,
  canonicalRequest: string,
): string {
  return `${algorithm}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}
