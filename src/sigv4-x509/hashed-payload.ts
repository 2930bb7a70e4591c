import { createHash } from 'node:crypto';
import { AgentError } from '../errors';
import type { RequestBody } from './request';

/** Hex SHA-256 of the body bytes (UTF-8 for a string); an absent body hashes as empty. */
export function hashPayload(body: RequestBody | unknown): string {
  if (body === undefined || body === null) return sha256Hex('');
  if (typeof body === 'string' || body instanceof Uint8Array) return sha256Hex(body);
  throw new AgentError('BODY_UNSUPPORTED', 'request body must be a string or bytes to be signed', {
    hint: 'buffer the body before signing; streams cannot be hashed ahead of sending',
  });
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
