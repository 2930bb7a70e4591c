import { AgentError } from '../errors';

/** aws_signing_helper's default: the Linux default TTL, so packets reach what a host route reaches. */
export const DEFAULT_HOP_LIMIT = 64;

export function checkHopLimit(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 255) {
    throw new AgentError('INVALID_HOP_LIMIT', `--hop-limit ${value} is not a whole number from 1 to 255`, {
      hint: 'use 1 to keep responses on this host and its directly attached containers, or 64 (the default)',
    });
  }
  return value;
}
