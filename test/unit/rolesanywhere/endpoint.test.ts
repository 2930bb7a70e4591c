import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import { defaultEndpointUrl, resolveEndpoint, resolveRegion } from '../../../src/rolesanywhere/endpoint';

function errorOf(fn: () => unknown): AgentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error('expected a throw');
}

describe('resolveRegion', () => {
  it("prefers the given region and falls back to the trust anchor's", () => {
    expect(resolveRegion('eu-west-1', 'us-east-1')).toBe('eu-west-1');
    expect(resolveRegion(undefined, 'us-east-1')).toBe('us-east-1');
    expect(resolveRegion('', 'ap-southeast-2')).toBe('ap-southeast-2');
  });

  it('rejects a region that is not a region name', () => {
    const error = errorOf(() => resolveRegion('US East', 'us-east-1'));
    expect(error.code).toBe('INVALID_REGION');
    expect(error.message).toContain('US East');
  });
});

describe('resolveEndpoint', () => {
  it('defaults to the regional endpoint, .com.cn in China', () => {
    expect(defaultEndpointUrl('us-east-1')).toBe('https://rolesanywhere.us-east-1.amazonaws.com');
    expect(defaultEndpointUrl('us-gov-west-1')).toBe('https://rolesanywhere.us-gov-west-1.amazonaws.com');
    expect(defaultEndpointUrl('cn-north-1')).toBe('https://rolesanywhere.cn-north-1.amazonaws.com.cn');
    expect(resolveEndpoint('eu-west-1')).toEqual({
      protocol: 'https:',
      hostname: 'rolesanywhere.eu-west-1.amazonaws.com',
      pathPrefix: '',
      url: 'https://rolesanywhere.eu-west-1.amazonaws.com',
    });
  });

  it('takes an override with scheme, host, port and path prefix', () => {
    expect(resolveEndpoint('us-east-1', 'http://127.0.0.1:8080/ra/v1/')).toEqual({
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8080,
      pathPrefix: '/ra/v1',
      url: 'http://127.0.0.1:8080/ra/v1',
    });
    expect(resolveEndpoint('us-east-1', 'https://[::1]:9443')).toMatchObject({
      hostname: '::1',
      port: 9443,
      url: 'https://[::1]:9443',
    });
    // A default port is dropped by URL parsing, as the Host header leaves it out.
    expect(resolveEndpoint('us-east-1', 'https://ra.example.com:443/').port).toBeUndefined();
    expect(resolveEndpoint('us-east-1', 'ra.internal:8443')).toMatchObject({
      protocol: 'https:',
      hostname: 'ra.internal',
      port: 8443,
    });
    expect(resolveEndpoint('us-east-1', '  ')).toMatchObject({
      hostname: 'rolesanywhere.us-east-1.amazonaws.com',
    });
  });

  const bad: Array<[string, RegExp]> = [
    ['ftp://ra.example.com', /scheme ftp:/],
    ['https://user:pw@ra.example.com', /user name or password/],
    ['https://ra.example.com/?a=b', /query or fragment/],
    ['https://ra.example.com/#x', /query or fragment/],
    ['https://', /not a URL|no host/],
    ['http://ra.example.com:99999', /not a URL/],
  ];
  it.each(bad)('rejects %s', (value, why) => {
    const error = errorOf(() => resolveEndpoint('us-east-1', value));
    expect(error.code).toBe('INVALID_ENDPOINT');
    expect(error.message).toMatch(why);
    expect(error.hint).toContain('--endpoint');
  });
});
