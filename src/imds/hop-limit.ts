import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
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

/**
 * The TTL (IPv4) or hop limit (IPv6) the kernel puts on packets of sockets that set none, or
 * undefined when it cannot be read (not Linux, or /proc hidden).
 */
export function systemHopLimit(address: string): number | undefined {
  const file =
    isIP(address) === 6 ? '/proc/sys/net/ipv6/conf/all/hop_limit' : '/proc/sys/net/ipv4/ip_default_ttl';
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * aws_signing_helper sets IP_TTL / IPV6_UNICAST_HOPS on every accepted socket. Node.js has no
 * way to set either on a TCP socket (net.Socket has no setTTL; only dgram sockets do), and this
 * package ships no native addon for it, so responses leave with the system default. This says
 * so, once, when the requested limit differs from what the kernel will use; undefined when
 * they agree (the default 64 on a stock Linux). `system`: systemHopLimit(address).
 */
export function hopLimitWarning(
  requested: number,
  address: string,
  system: number | undefined,
): string | undefined {
  if (system === requested) return undefined;
  const family = isIP(address) === 6 ? 'IPV6_UNICAST_HOPS' : 'IP_TTL';
  const actual = system === undefined ? 'the system default' : `the system default (${system})`;
  return `--hop-limit ${requested} cannot be applied: Node.js cannot set ${family} on TCP sockets, so responses use ${actual}`;
}
