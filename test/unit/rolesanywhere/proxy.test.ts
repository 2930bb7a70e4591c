import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import { matchesNoProxy, resolveProxy } from '../../../src/rolesanywhere/proxy';

const https = { protocol: 'https:', hostname: 'rolesanywhere.us-east-1.amazonaws.com' } as const;
const http = { protocol: 'http:', hostname: '127.0.0.1', port: 8080 } as const;

describe('resolveProxy', () => {
  it('reads HTTPS_PROXY, then https_proxy, then HTTP_PROXY for https', () => {
    expect(resolveProxy(https, {})).toBeUndefined();
    expect(
      resolveProxy(https, { HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:2', HTTP_PROXY: 'http://c:3' }),
    ).toBe('http://a:1');
    expect(resolveProxy(https, { https_proxy: 'http://b:2', HTTP_PROXY: 'http://c:3' })).toBe('http://b:2');
    expect(resolveProxy(https, { HTTP_PROXY: 'http://c:3' })).toBe('http://c:3');
    expect(resolveProxy(https, { HTTPS_PROXY: '  ', http_proxy: 'http://d:4' })).toBe('http://d:4');
  });

  it('reads only HTTP_PROXY / http_proxy for http', () => {
    expect(resolveProxy(http, { HTTPS_PROXY: 'http://a:1' })).toBeUndefined();
    expect(resolveProxy(http, { http_proxy: 'http://b:2' })).toBe('http://b:2');
  });

  it('adds http:// to a proxy given as host:port', () => {
    expect(resolveProxy(https, { HTTPS_PROXY: 'proxy.corp:3128' })).toBe('http://proxy.corp:3128');
  });

  it('honours NO_PROXY and no_proxy', () => {
    expect(resolveProxy(https, { HTTPS_PROXY: 'http://a:1', NO_PROXY: '.amazonaws.com' })).toBeUndefined();
    expect(resolveProxy(https, { HTTPS_PROXY: 'http://a:1', no_proxy: 'amazonaws.com' })).toBeUndefined();
    expect(resolveProxy(https, { HTTPS_PROXY: 'http://a:1', NO_PROXY: 'example.com' })).toBe('http://a:1');
  });

  it('rejects a proxy that is not an http(s) URL without printing it', () => {
    try {
      resolveProxy(https, { HTTPS_PROXY: 'socks5://user:hunter2@proxy:1080' });
      throw new Error('expected a throw');
    } catch (error) {
      expect(error).toBeInstanceOf(AgentError);
      expect((error as AgentError).code).toBe('INVALID_PROXY');
      expect((error as AgentError).message).not.toContain('hunter2');
      expect((error as AgentError).message).toContain('HTTPS_PROXY');
    }
  });
});

describe('matchesNoProxy', () => {
  const cases: Array<[string, number, string, boolean]> = [
    ['rolesanywhere.us-east-1.amazonaws.com', 443, '*', true],
    ['rolesanywhere.us-east-1.amazonaws.com', 443, '', false],
    ['rolesanywhere.us-east-1.amazonaws.com', 443, 'amazonaws.com', true],
    ['rolesanywhere.us-east-1.amazonaws.com', 443, '.amazonaws.com', true],
    ['rolesanywhere.us-east-1.amazonaws.com', 443, '*.amazonaws.com', true],
    ['amazonaws.com', 443, '.amazonaws.com', true],
    ['notamazonaws.com', 443, 'amazonaws.com', false],
    ['Host.Example.COM', 443, 'host.example.com', true],
    ['host.example.com.', 443, 'host.example.com', true],
    ['host.example.com', 443, 'other.test, host.example.com', true],
    ['host.example.com', 443, 'other.test host.example.com', true],
    ['host.example.com', 443, 'host.example.com:443', true],
    ['host.example.com', 8443, 'host.example.com:443', false],
    ['127.0.0.1', 80, '127.0.0.1', true],
    ['127.0.0.2', 80, '127.0.0.1', false],
    ['10.1.2.3', 80, '10.0.0.0/8', true],
    ['11.1.2.3', 80, '10.0.0.0/8', false],
    ['::1', 443, '::1', true],
    ['::1', 443, '[::1]:443', true],
    ['::1', 8443, '[::1]:443', false],
    ['fd00::5', 443, 'fd00::/8', true],
    ['127.0.0.1', 80, 'localhost', false],
    ['127.0.0.1', 80, '10.0.0.0/99', false],
  ];
  it.each(cases)('%s:%i against "%s" -> %s', (host, port, noProxy, expected) => {
    expect(matchesNoProxy(host, port, noProxy)).toBe(expected);
  });
});
