import { AgentError } from '../errors';
import { isValidRegion, partitionOfRegion } from './arn';

/** Where CreateSession requests go. `hostname` has no IPv6 brackets; `pathPrefix` has no trailing slash. */
export interface ResolvedEndpoint {
  protocol: 'https:' | 'http:';
  hostname: string;
  /** Only when the URL names one. */
  port?: number;
  /** "" or "/prefix" (an endpoint behind a path, e.g. a gateway). */
  pathPrefix: string;
  /** The endpoint as a URL string, for messages. */
  url: string;
}

/**
 * The region requests are signed for: the one given, else the trust anchor ARN's. Checked
 * for syntax only; an unknown but well-formed region fails later at the endpoint.
 */
export function resolveRegion(region: string | undefined, trustAnchorRegion: string): string {
  const chosen = region === undefined || region === '' ? trustAnchorRegion : region;
  if (!isValidRegion(chosen)) {
    throw new AgentError('INVALID_REGION', `region "${chosen}" is not a region name such as us-east-1`, {
      hint: "pass --region with the region of the trust anchor, or leave it out to use the trust anchor ARN's region",
    });
  }
  return chosen;
}

/** The default endpoint of a region: rolesanywhere.<region>.amazonaws.com (.com.cn in China). */
export function defaultEndpointUrl(region: string): string {
  const suffix = partitionOfRegion(region) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://rolesanywhere.${region}.${suffix}`;
}

/**
 * The endpoint to call: `endpoint` when given (http or https URL with host, optional port and
 * path prefix; a bare host[:port] means https), else the region's default.
 */
export function resolveEndpoint(region: string, endpoint?: string): ResolvedEndpoint {
  const text =
    endpoint === undefined || endpoint.trim() === '' ? defaultEndpointUrl(region) : endpoint.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  const invalid = (why: string) =>
    new AgentError('INVALID_ENDPOINT', `endpoint "${text}" is not usable: ${why}`, {
      hint: 'give --endpoint as https://host[:port][/path], e.g. https://rolesanywhere.us-east-1.amazonaws.com',
    });
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid('it is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid(`scheme ${url.protocol} is not http or https`);
  if (url.hostname === '') throw invalid('it has no host');
  if (url.username !== '' || url.password !== '') throw invalid('it must not carry a user name or password');
  if (url.search !== '' || url.hash !== '') throw invalid('it must not have a query or fragment');
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const pathPrefix = url.pathname.replace(/\/+$/, '');
  const port = url.port === '' ? undefined : Number(url.port);
  return {
    protocol: url.protocol,
    hostname,
    ...(port === undefined ? {} : { port }),
    pathPrefix,
    url: `${url.protocol}//${url.host}${pathPrefix}`,
  };
}
