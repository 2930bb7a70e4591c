import { BlockList, isIP } from 'node:net';
import { AgentError } from '../errors';

export interface ProxyTarget {
  protocol: 'https:' | 'http:';
  /** Without IPv6 brackets. */
  hostname: string;
  port?: number;
}

type Env = Record<string, string | undefined>;

function firstSet(env: Env, names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/**
 * The proxy URL for a request to `target` (--with-proxy), from the environment: HTTPS_PROXY /
 * https_proxy for https, HTTP_PROXY / http_proxy for http and as the fallback for https; none
 * when NO_PROXY / no_proxy matches the host. A proxy without a scheme is http://.
 */
export function resolveProxy(target: ProxyTarget, env: Env): string | undefined {
  const names =
    target.protocol === 'https:'
      ? ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']
      : ['HTTP_PROXY', 'http_proxy'];
  const proxy = firstSet(env, names);
  if (proxy === undefined) return undefined;
  const noProxy = firstSet(env, ['NO_PROXY', 'no_proxy']) ?? '';
  const port = target.port ?? (target.protocol === 'https:' ? 443 : 80);
  if (matchesNoProxy(target.hostname, port, noProxy)) return undefined;
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    if (parsed.hostname === '') throw new Error('host');
  } catch {
    // The value may carry a proxy password: name the variable, not its value.
    throw new AgentError('INVALID_PROXY', `the proxy set in ${names.join('/')} is not an http(s) URL`, {
      hint: 'set HTTPS_PROXY to http://host:port (or https://host:port)',
    });
  }
  return url;
}

/**
 * NO_PROXY as curl and Go read it: entries split by commas or spaces; "*" matches everything;
 * "example.com", ".example.com" and "*.example.com" match the domain and its subdomains; an
 * IP address or CIDR block matches addresses in it; "host:port" matches that port only.
 */
export function matchesNoProxy(hostname: string, port: number, noProxy: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  const hostIsIp = isIP(host);
  for (const raw of noProxy.split(/[,\s]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    // host:port and [v6]:port, but not a bare IPv6 address (several colons, no brackets).
    const portMatch = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (portMatch) {
      entry = portMatch[1] ?? entry;
      entryPort = Number(portMatch[2]);
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = entry.replace(/^\[(.*)\]$/, '$1');
    if (hostIsIp) {
      if (ipMatches(host, hostIsIp, entry)) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\.?/, '').replace(/\.$/, '');
    if (domain !== '' && (host === domain || host.endsWith(`.${domain}`))) return true;
  }
  return false;
}

function ipMatches(host: string, family: number, entry: string): boolean {
  const [address = '', bits] = entry.split('/');
  const entryFamily = isIP(address);
  if (entryFamily === 0 || entryFamily !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  if (bits === undefined) {
    list.addAddress(address, type);
  } else {
    const prefix = Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return false;
    list.addSubnet(address, prefix, type);
  }
  return list.check(host, type);
}
