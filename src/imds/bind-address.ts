import { isIP } from 'node:net';
import { AgentError } from '../errors';

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) !== 6) return false;
  // IPv4-mapped (::ffff:127.0.0.1, 0:0:0:0:0:ffff:127.0.0.1): only zero groups before ffff.
  const mapped = /^([0:]*):ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped?.[2]) return mapped[2].startsWith('127.');
  // Every spelling of ::1 (0:0:0:0:0:0:0:1, ::0:1, ...) has only zero groups before a final 1.
  const expanded = expandIpv6(bare);
  return expanded?.every((group, i) => (i === 7 ? group === 1 : group === 0)) ?? false;
}

function expandIpv6(address: string): number[] | undefined {
  if (address.includes('.')) return undefined;
  const [head = '', tail] = address.split('::');
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (tail === undefined && fill !== 0)) return undefined;
  return [...left, ...new Array<number>(fill).fill(0), ...right];
}

/**
 * The address `serve` listens on: an IP literal (`localhost` means 127.0.0.1). Anything but
 * loopback hands credentials to every host that can reach it, so it needs `allowRemote`.
 */
export function resolveBindAddress(value: string, allowRemote: boolean): string {
  const trimmed = value.trim();
  const address = trimmed.toLowerCase() === 'localhost' ? '127.0.0.1' : trimmed.replace(/^\[(.*)\]$/, '$1');
  if (isIP(address) === 0) {
    throw new AgentError('INVALID_BIND_ADDRESS', `--bind ${JSON.stringify(value)} is not an IP address`, {
      hint: 'give an IPv4 or IPv6 address such as 127.0.0.1 or ::1 (host names are not resolved)',
    });
  }
  if (!allowRemote && !isLoopbackAddress(address)) {
    throw new AgentError(
      'NON_LOOPBACK_BIND',
      `refusing to serve credentials on ${address}, which is not a loopback address`,
      {
        hint: 'every host that can reach this address could take the role: add --allow-remote if that is really intended',
      },
    );
  }
  return address;
}

/** `http://host:port` with IPv6 hosts in brackets. */
export function formatHostPort(address: string, port: number): string {
  return `${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}
