import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import type { Signer } from '../../../src/signer/signer';
import {
  type ReceivedRequest,
  serialToDecimal,
  signX509Request,
  VERIFY_ERROR_RESPONSES,
  type VerifyErrorCode,
  type VerifyX509Options,
  verifyX509Request,
  type X509SignableRequest,
} from '../../../src/sigv4-x509';
import { x509 } from '../../../src/x509/x509';
import { makeTempDir } from '../../helpers/tmp';
import { FIXED, type Issued, makeCa, makeCert, makeCrl, makeV1Leaf, signerOf } from './test-pki';

const REGION = 'eu-west-1';
const NOW = FIXED.now;
const ARNS = {
  profileArn: 'arn:aws:rolesanywhere:eu-west-1:123456789012:profile/11111111-2222-4333-8444-555555555555',
  roleArn: 'arn:aws:iam::123456789012:role/edge-device',
  trustAnchorArn:
    'arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/66666666-7777-4888-9999-000000000000',
};
const BASE: X509SignableRequest = {
  method: 'POST',
  protocol: 'https:',
  hostname: `rolesanywhere.${REGION}.amazonaws.com`,
  path: '/sessions',
  query: ARNS,
  headers: { 'content-type': 'application/json' },
  body: '{"durationSeconds":3600}',
};

interface Pki {
  root: Issued;
  intermediate: Issued;
  leaf: Issued;
  otherRoot: Issued;
}
let pki: Pki;
let tmp: ReturnType<typeof makeTempDir>;

beforeAll(async () => {
  tmp = makeTempDir('ra-sigv4-verify-');
  const root = await makeCa('CN=Verify Test Root, O=rolesanywhere-agent tests');
  const intermediate = await makeCa('CN=Verify Test Intermediate, O=rolesanywhere-agent tests', root, {
    pathLength: 0,
  });
  const leaf = await makeCert('CN=device-1, OU=Edge, O=rolesanywhere-agent tests', intermediate, {
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2030-01-01T00:00:00Z'),
  });
  const otherRoot = await makeCa('CN=Some Other Root, O=elsewhere');
  pki = { root, intermediate, leaf, otherRoot };
});

afterAll(() => tmp?.remove());

function received(
  request: X509SignableRequest | Awaited<ReturnType<typeof signX509Request>>,
): ReceivedRequest {
  return {
    method: request.method,
    path: request.path,
    query: request.query,
    headers: { ...request.headers },
    body: request.body,
  };
}

async function signed(
  signer: Signer,
  options: { region?: string; service?: string; date?: Date; request?: X509SignableRequest } = {},
): Promise<ReceivedRequest> {
  const request = await signX509Request(options.request ?? BASE, {
    signer,
    region: options.region ?? REGION,
    ...(options.service ? { service: options.service } : {}),
    signingDate: options.date ?? NOW,
  });
  return received(request);
}

function baseOptions(): VerifyX509Options {
  return { trustAnchors: [pki.root.cert], now: NOW, region: REGION };
}

/** Sets (or with undefined, removes) headers, matching names without regard to case. */
function withHeaders(
  request: ReceivedRequest,
  patch: Record<string, string | string[] | undefined>,
): ReceivedRequest {
  const headers = { ...request.headers };
  for (const [name, value] of Object.entries(patch)) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
    if (value !== undefined) headers[name] = value;
  }
  return { ...request, headers };
}

function header(request: ReceivedRequest, name: string): string {
  const value = request.headers[name];
  if (typeof value !== 'string') throw new Error(`no single ${name} header`);
  return value;
}

function editAuthorization(request: ReceivedRequest, edit: (value: string) => string): ReceivedRequest {
  return withHeaders(request, { authorization: edit(header(request, 'authorization')) });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'VERIFIED';
  } catch (error) {
    if (!isAgentError(error)) throw error;
    return error.code;
  }
}

interface NegativeCase {
  name: string;
  code: VerifyErrorCode;
  make: () => Promise<{ request: ReceivedRequest; options?: Partial<VerifyX509Options> }>;
}

const leafSigner = () => signerOf(pki.leaf, [pki.intermediate]);
const okRequest = () => signed(leafSigner());

const cases: NegativeCase[] = [
  // Authorization
  {
    name: 'no authorization header',
    code: 'AUTH_MISSING',
    make: async () => ({ request: withHeaders(await okRequest(), { authorization: undefined }) }),
  },
  {
    name: 'authorization sent twice (array)',
    code: 'HEADER_DUPLICATE',
    make: async () => {
      const request = await okRequest();
      const value = header(request, 'authorization');
      return { request: withHeaders(request, { authorization: [value, value] }) };
    },
  },
  {
    name: 'authorization sent twice (comma-merged)',
    code: 'HEADER_DUPLICATE',
    make: async () => {
      const request = await okRequest();
      return { request: editAuthorization(request, (value) => `${value}, ${value}`) };
    },
  },
  {
    name: 'authorization in two name cases',
    code: 'HEADER_DUPLICATE',
    make: async () => {
      const request = await okRequest();
      return {
        request: {
          ...request,
          headers: { ...request.headers, Authorization: header(request, 'authorization') },
        },
      };
    },
  },
  {
    name: 'garbled authorization',
    code: 'AUTH_MALFORMED',
    make: async () => ({
      request: editAuthorization(await okRequest(), () => 'AWS4-X509-ECDSA-SHA256 Credential'),
    }),
  },
  {
    name: 'not a SigV4 authorization at all',
    code: 'AUTH_MALFORMED',
    make: async () => ({ request: editAuthorization(await okRequest(), () => 'Bearer abc.def.ghi') }),
  },
  {
    name: 'HMAC algorithm name',
    code: 'AUTH_ALGORITHM_UNSUPPORTED',
    make: async () => ({
      request: editAuthorization(await okRequest(), (v) =>
        v.replace('AWS4-X509-ECDSA-SHA256', 'AWS4-HMAC-SHA256'),
      ),
    }),
  },
  {
    name: 'credential serial in hex',
    code: 'AUTH_MALFORMED',
    make: async () => ({
      request: editAuthorization(await okRequest(), (v) =>
        v.replace(serialToDecimal(pki.leaf.cert), pki.leaf.cert.serialNumber),
      ),
    }),
  },
  {
    name: 'scope without aws4_request',
    code: 'AUTH_MALFORMED',
    make: async () => ({
      request: editAuthorization(await okRequest(), (v) => v.replace('/aws4_request', '/aws5_request')),
    }),
  },
  {
    name: 'SignedHeaders not sorted',
    code: 'AUTH_MALFORMED',
    make: async () => ({
      request: editAuthorization(await okRequest(), (v) =>
        v.replace('content-type;host', 'host;content-type'),
      ),
    }),
  },
  {
    name: 'signature not hex',
    code: 'AUTH_MALFORMED',
    make: async () => ({
      request: editAuthorization(await okRequest(), (v) => v.replace(/Signature=.*/, 'Signature=xyz')),
    }),
  },
  // X-Amz-Date
  {
    name: 'no x-amz-date',
    code: 'DATE_MISSING',
    make: async () => ({ request: withHeaders(await okRequest(), { 'x-amz-date': undefined }) }),
  },
  {
    name: 'x-amz-date in extended ISO format',
    code: 'DATE_MALFORMED',
    make: async () => ({ request: withHeaders(await okRequest(), { 'x-amz-date': '2026-06-15T12:00:00Z' }) }),
  },
  {
    name: 'x-amz-date on February 31st',
    code: 'DATE_MALFORMED',
    make: async () => ({ request: withHeaders(await okRequest(), { 'x-amz-date': '20260231T120000Z' }) }),
  },
  {
    name: 'x-amz-date twice',
    code: 'HEADER_DUPLICATE',
    make: async () => {
      const request = await okRequest();
      const value = header(request, 'x-amz-date');
      return { request: withHeaders(request, { 'x-amz-date': [value, value] }) };
    },
  },
  // Credential scope
  {
    name: 'scope date differs from x-amz-date',
    code: 'SCOPE_DATE_MISMATCH',
    make: async () => ({
      request: editAuthorization(await okRequest(), (v) => v.replace('/20260615/', '/20260614/')),
    }),
  },
  {
    name: 'signed for another region',
    code: 'SCOPE_REGION_MISMATCH',
    make: async () => ({ request: await signed(leafSigner(), { region: 'us-west-2' }) }),
  },
  {
    name: 'signed for another service',
    code: 'SCOPE_SERVICE_MISMATCH',
    make: async () => ({ request: await signed(leafSigner(), { service: 'sts' }) }),
  },
  // SignedHeaders
  {
    name: 'chain header added after signing (not signed)',
    code: 'SIGNED_HEADERS_INCOMPLETE',
    make: async () => {
      const request = await signed(signerOf(pki.leaf));
      return {
        request: withHeaders(request, {
          'x-amz-x509-chain': Buffer.from(pki.intermediate.cert.rawData).toString('base64'),
        }),
      };
    },
  },
  {
    name: 'host not signed',
    code: 'SIGNED_HEADERS_INCOMPLETE',
    make: async () => ({ request: editAuthorization(await okRequest(), (v) => v.replace(';host;', ';')) }),
  },
  {
    name: 'a signed header is missing from the request',
    code: 'SIGNED_HEADER_MISSING',
    make: async () => ({ request: withHeaders(await okRequest(), { 'content-type': undefined }) }),
  },
  // Clock
  {
    name: 'signed 301 s before server time',
    code: 'DATE_SKEW',
    make: async () => ({ request: await okRequest(), options: { now: new Date(NOW.getTime() + 301_000) } }),
  },
  {
    name: 'signed 301 s after server time',
    code: 'DATE_SKEW',
    make: async () => ({ request: await okRequest(), options: { now: new Date(NOW.getTime() - 301_000) } }),
  },
  // Certificate headers
  {
    name: 'no x-amz-x509',
    code: 'CERT_MISSING',
    make: async () => {
      const request = await okRequest();
      return { request: withHeaders(request, { 'x-amz-x509': undefined }) };
    },
  },
  {
    name: 'x-amz-x509 not base64',
    code: 'CERT_BASE64_INVALID',
    make: async () => ({ request: withHeaders(await okRequest(), { 'x-amz-x509': 'MIIB!!!=' }) }),
  },
  {
    name: 'x-amz-x509 is PEM instead of base64 DER',
    code: 'CERT_BASE64_INVALID',
    make: async () => ({
      request: withHeaders(await okRequest(), { 'x-amz-x509': pki.leaf.cert.toString('pem') }),
    }),
  },
  {
    name: 'x-amz-x509 base64 of garbage',
    code: 'CERT_DER_INVALID',
    make: async () => ({
      request: withHeaders(await okRequest(), {
        'x-amz-x509': Buffer.from('not a certificate').toString('base64'),
      }),
    }),
  },
  {
    name: 'x-amz-x509 with bytes after the certificate',
    code: 'CERT_DER_INVALID',
    make: async () => {
      const der = Buffer.concat([Buffer.from(pki.leaf.cert.rawData), Buffer.from([0, 0])]);
      return { request: withHeaders(await okRequest(), { 'x-amz-x509': der.toString('base64') }) };
    },
  },
  {
    name: 'x-amz-x509 twice (array)',
    code: 'HEADER_DUPLICATE',
    make: async () => {
      const request = await okRequest();
      const value = header(request, 'x-amz-x509');
      return { request: withHeaders(request, { 'x-amz-x509': [value, value] }) };
    },
  },
  {
    name: 'x-amz-x509 twice (comma-merged)',
    code: 'HEADER_DUPLICATE',
    make: async () => {
      const request = await okRequest();
      const value = header(request, 'x-amz-x509');
      return { request: withHeaders(request, { 'x-amz-x509': `${value}, ${value}` }) };
    },
  },
  {
    name: 'chain entry not base64',
    code: 'CHAIN_BASE64_INVALID',
    make: async () => {
      const intermediate = Buffer.from(pki.intermediate.cert.rawData).toString('base64');
      return { request: withHeaders(await okRequest(), { 'x-amz-x509-chain': `${intermediate},%%%%` }) };
    },
  },
  {
    name: 'chain entry not DER',
    code: 'CHAIN_DER_INVALID',
    make: async () => ({
      request: withHeaders(await okRequest(), {
        'x-amz-x509-chain': Buffer.from('nope nope').toString('base64'),
      }),
    }),
  },
  {
    name: 'chain header twice (comma-merged)',
    code: 'HEADER_DUPLICATE',
    make: async () => {
      const request = await okRequest();
      const value = header(request, 'x-amz-x509-chain');
      return { request: withHeaders(request, { 'x-amz-x509-chain': `${value}, ${value}` }) };
    },
  },
  {
    name: 'chain of 6 intermediates',
    code: 'CHAIN_TOO_LONG',
    make: async () => {
      const { leaf, chain } = await deepChain(6);
      return { request: await signed(signerOf(leaf, chain)) };
    },
  },
  // Serial and key
  {
    name: 'credential serial of another certificate',
    code: 'SERIAL_MISMATCH',
    make: async () => {
      const serial = serialToDecimal(pki.leaf.cert);
      return {
        request: editAuthorization(await okRequest(), (v) =>
          v.replace(serial, (BigInt(serial) + 1n).toString()),
        ),
      };
    },
  },
  {
    name: 'RSA algorithm name with an EC certificate',
    code: 'ALGORITHM_KEY_MISMATCH',
    make: async () => ({
      request: editAuthorization(await okRequest(), (v) =>
        v.replace('AWS4-X509-ECDSA-SHA256', 'AWS4-X509-RSA-SHA256'),
      ),
    }),
  },
  // Leaf constraints
  {
    name: 'leaf is X.509 v1',
    code: 'LEAF_NOT_V3',
    make: async () => ({
      request: await signed(signerOf(await makeV1Leaf(tmp.path, pki.intermediate), [pki.intermediate])),
    }),
  },
  {
    name: 'leaf is a CA',
    code: 'LEAF_IS_CA',
    make: async () => {
      const leaf = await makeCa('CN=sub ca as leaf', pki.intermediate);
      return { request: await signed(signerOf(leaf, [pki.intermediate])) };
    },
  },
  {
    name: 'leaf without digitalSignature',
    code: 'LEAF_NO_DIGITAL_SIGNATURE',
    make: async () => {
      const leaf = await makeCert('CN=encipher only', pki.intermediate, {
        keyUsage: x509.KeyUsageFlags.keyEncipherment,
      });
      return { request: await signed(signerOf(leaf, [pki.intermediate])) };
    },
  },
  {
    name: 'leaf without keyUsage',
    code: 'LEAF_NO_DIGITAL_SIGNATURE',
    make: async () => {
      const leaf = await makeCert('CN=no key usage', pki.intermediate, { keyUsage: null });
      return { request: await signed(signerOf(leaf, [pki.intermediate])) };
    },
  },
  {
    name: 'leaf with an empty subject',
    code: 'LEAF_SUBJECT_EMPTY',
    make: async () => {
      const leaf = await makeCert('', pki.intermediate);
      return { request: await signed(signerOf(leaf, [pki.intermediate])) };
    },
  },
  {
    name: 'leaf signed with SHA-1',
    code: 'CERT_WEAK_SIGNATURE_ALGORITHM',
    make: async () => {
      const leaf = await makeCert('CN=sha1 leaf', pki.intermediate, { hash: 'SHA-1' });
      return { request: await signed(signerOf(leaf, [pki.intermediate])) };
    },
  },
  {
    name: 'intermediate signed with SHA-1',
    code: 'CERT_WEAK_SIGNATURE_ALGORITHM',
    make: async () => {
      const intermediate = await makeCa('CN=sha1 intermediate', pki.root, { hash: 'SHA-1' });
      const leaf = await makeCert('CN=under sha1 intermediate', intermediate);
      return { request: await signed(signerOf(leaf, [intermediate])) };
    },
  },
  {
    name: 'leaf expired',
    code: 'CERT_EXPIRED',
    make: async () => {
      const leaf = await makeCert('CN=expired', pki.intermediate, {
        notAfter: new Date('2026-06-15T11:59:59Z'),
      });
      return { request: await signed(signerOf(leaf, [pki.intermediate])) };
    },
  },
  {
    name: 'leaf not yet valid',
    code: 'CERT_NOT_YET_VALID',
    make: async () => {
      const leaf = await makeCert('CN=future', pki.intermediate, {
        notBefore: new Date('2026-06-15T12:00:01Z'),
      });
      return { request: await signed(signerOf(leaf, [pki.intermediate])) };
    },
  },
  {
    name: 'intermediate expired',
    code: 'CERT_EXPIRED',
    make: async () => {
      const intermediate = await makeCa('CN=expired intermediate', pki.root, {
        notAfter: new Date('2026-01-01T00:00:00Z'),
      });
      const leaf = await makeCert('CN=under expired intermediate', intermediate);
      return { request: await signed(signerOf(leaf, [intermediate])) };
    },
  },
  // Trust
  {
    name: 'wrong trust anchor',
    code: 'CERT_UNTRUSTED',
    make: async () => ({ request: await okRequest(), options: { trustAnchors: [pki.otherRoot.cert] } }),
  },
  {
    name: 'intermediate not sent',
    code: 'CERT_UNTRUSTED',
    make: async () => ({ request: await signed(signerOf(pki.leaf)) }),
  },
  {
    name: 'forged intermediate: same name, other key',
    code: 'CERT_UNTRUSTED',
    make: async () => {
      const forged = await makeCa(pki.intermediate.cert.subject);
      const leaf = await makeCert('CN=device-1, OU=Edge, O=rolesanywhere-agent tests', forged);
      return { request: await signed(signerOf(leaf, [forged])) };
    },
  },
  {
    name: 'intermediate that is not a CA',
    code: 'CHAIN_INTERMEDIATE_NOT_CA',
    make: async () => {
      const notCa = await makeCert('CN=end entity used as issuer', pki.root, {
        keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
      });
      const leaf = await makeCert('CN=under an end entity', notCa);
      return { request: await signed(signerOf(leaf, [notCa])) };
    },
  },
  {
    name: 'trust anchor without keyCertSign',
    code: 'TRUST_ANCHOR_NOT_CA',
    make: async () => {
      const anchor = await makeCa('CN=crl-only root', undefined, { keyUsage: x509.KeyUsageFlags.cRLSign });
      const leaf = await makeCert('CN=under crl-only root', anchor);
      return { request: await signed(signerOf(leaf)), options: { trustAnchors: [anchor.cert] } };
    },
  },
  {
    name: 'path longer than the root allows',
    code: 'CHAIN_PATH_LENGTH_EXCEEDED',
    make: async () => {
      const root = await makeCa('CN=pathlen 0 root', undefined, { pathLength: 0 });
      const intermediate = await makeCa('CN=below pathlen 0 root', root);
      const leaf = await makeCert('CN=too deep', intermediate);
      return {
        request: await signed(signerOf(leaf, [intermediate])),
        options: { trustAnchors: [root.cert] },
      };
    },
  },
  {
    name: 'leaf revoked by the intermediate',
    code: 'CERT_REVOKED',
    make: async () => ({
      request: await okRequest(),
      options: { crls: [await makeCrl(pki.intermediate, [pki.leaf.cert])] },
    }),
  },
  {
    name: 'intermediate revoked by the root',
    code: 'CERT_REVOKED',
    make: async () => ({
      request: await okRequest(),
      options: { crls: [await makeCrl(pki.root, [pki.intermediate.cert])] },
    }),
  },
  // Signature
  {
    name: 'tampered header',
    code: 'SIGNATURE_INVALID',
    make: async () => ({
      request: withHeaders(await okRequest(), { 'content-type': 'application/x-amz-json-1.0' }),
    }),
  },
  {
    name: 'tampered query',
    code: 'SIGNATURE_INVALID',
    make: async () => {
      const request = await okRequest();
      return {
        request: { ...request, query: { ...request.query, roleArn: 'arn:aws:iam::123456789012:role/admin' } },
      };
    },
  },
  {
    name: 'tampered body',
    code: 'SIGNATURE_INVALID',
    make: async () => ({ request: { ...(await okRequest()), body: '{"durationSeconds":43200}' } }),
  },
  {
    name: 'tampered date (same day, one second later)',
    code: 'SIGNATURE_INVALID',
    make: async () => ({ request: withHeaders(await okRequest(), { 'x-amz-date': '20260615T120001Z' }) }),
  },
  {
    name: 'tampered host',
    code: 'SIGNATURE_INVALID',
    make: async () => ({
      request: withHeaders(await okRequest(), { host: 'rolesanywhere.us-east-1.amazonaws.com' }),
    }),
  },
  {
    name: 'tampered path',
    code: 'SIGNATURE_INVALID',
    make: async () => ({ request: { ...(await okRequest()), path: '/sessions/' } }),
  },
  {
    name: 'tampered method',
    code: 'SIGNATURE_INVALID',
    make: async () => ({ request: { ...(await okRequest()), method: 'PUT' } }),
  },
  {
    name: 'signed with a key that does not match the certificate',
    code: 'SIGNATURE_INVALID',
    make: async () => {
      const stranger = await makeCert('CN=stranger', pki.intermediate);
      return { request: await signed(signerOf(pki.leaf, [pki.intermediate], stranger.keys)) };
    },
  },
  {
    name: 'signature truncated',
    code: 'SIGNATURE_INVALID',
    make: async () => ({ request: editAuthorization(await okRequest(), (v) => v.slice(0, -2)) }),
  },
];

/** root → i1 → … → i<depth> → leaf, every CA unconstrained. */
async function deepChain(depth: number): Promise<{ root: Issued; leaf: Issued; chain: Issued[] }> {
  const root = await makeCa('CN=deep root');
  const chain: Issued[] = [];
  let issuer = root;
  for (let i = 1; i <= depth; i++) {
    issuer = await makeCa(`CN=deep intermediate ${i}`, issuer);
    chain.unshift(issuer);
  }
  return { root, leaf: await makeCert('CN=deep leaf', issuer), chain };
}

describe('verifyX509Request rejects', () => {
  it('with at least 25 distinct negative cases, each mapped to an HTTP answer', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases) expect([400, 403]).toContain(VERIFY_ERROR_RESPONSES[c.code].status);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { request, options } = await c.make();
    expect(await codeOf(verifyX509Request(request, { ...baseOptions(), ...options }))).toBe(c.code);
  });
});

describe('verifyX509Request accepts', () => {
  it('a fresh request and reports the leaf, path, serial and algorithm', async () => {
    const result = await verifyX509Request(await okRequest(), baseOptions());
    expect(result.serial).toBe(serialToDecimal(pki.leaf.cert));
    expect(BigInt(`0x${result.serialHex}`).toString()).toBe(result.serial);
    expect(result.algorithm).toBe('AWS4-X509-ECDSA-SHA256');
    expect(result.leaf.subject).toBe(pki.leaf.cert.subject);
    expect(result.chain.map((c) => c.subject)).toEqual([pki.intermediate.cert.subject]);
    expect(result.trustAnchor.subject).toBe(pki.root.cert.subject);
    expect(result.region).toBe(REGION);
  });

  it('exactly 300 s of skew either way', async () => {
    const request = await okRequest();
    for (const delta of [300_000, -300_000]) {
      const result = await verifyX509Request(request, {
        ...baseOptions(),
        now: new Date(NOW.getTime() + delta),
      });
      expect(result.serial).toBe(serialToDecimal(pki.leaf.cert));
    }
  });

  it('a chain of exactly 5 intermediates', async () => {
    const { root, leaf, chain } = await deepChain(5);
    const result = await verifyX509Request(await signed(signerOf(leaf, chain)), {
      ...baseOptions(),
      trustAnchors: [root.cert],
    });
    expect(result.chain).toHaveLength(5);
  });

  it('a chain that also carries the root, and the intermediate as the only anchor', async () => {
    const withRoot = await signed(signerOf(pki.leaf, [pki.intermediate, pki.root]));
    expect((await verifyX509Request(withRoot, baseOptions())).chain).toHaveLength(1);
    const onIntermediate = await verifyX509Request(await okRequest(), {
      ...baseOptions(),
      trustAnchors: [pki.intermediate.cert],
    });
    expect(onIntermediate.chain).toHaveLength(0);
  });

  it('unsigned headers added on the way, header names in any case, arrays of one value', async () => {
    const request = await okRequest();
    const headers: ReceivedRequest['headers'] = {};
    for (const [name, value] of Object.entries(request.headers)) {
      headers[name === 'host' ? 'Host' : name] = name === 'x-amz-date' ? [value as string] : value;
    }
    headers['user-agent'] = 'proxy-added/1.0';
    headers['x-amzn-trace-id'] = 'Root=1-abc';
    headers['x-forwarded-for'] = '10.0.0.1';
    const result = await verifyX509Request({ ...request, headers }, baseOptions());
    expect(result.signedHeaders).toEqual([
      'content-type',
      'host',
      'x-amz-date',
      'x-amz-x509',
      'x-amz-x509-chain',
    ]);
  });

  it('ARNs in a JSON body with a Host naming AWS, body as bytes', async () => {
    const request: X509SignableRequest = {
      ...BASE,
      hostname: '127.0.0.1',
      port: 8443,
      query: {},
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        Host: 'rolesanywhere.eu-west-1.amazonaws.com',
      },
      body: JSON.stringify({ ...ARNS, durationSeconds: 900 }),
    };
    const sent = await signed(leafSigner(), { request });
    expect(sent.headers.Host).toBe('rolesanywhere.eu-west-1.amazonaws.com');
    const asBytes = { ...sent, body: new TextEncoder().encode(String(sent.body)) };
    expect((await verifyX509Request(asBytes, baseOptions())).serial).toBe(serialToDecimal(pki.leaf.cert));
  });

  it('a CRL under the issuer name but signed by another key revokes nothing', async () => {
    const impostor = await makeCa(pki.intermediate.cert.subject);
    const crl = await makeCrl({ ...pki.intermediate, keys: impostor.keys }, [pki.leaf.cert], impostor.keys);
    const result = await verifyX509Request(await okRequest(), { ...baseOptions(), crls: [crl] });
    expect(result.serial).toBe(serialToDecimal(pki.leaf.cert));
    // The same list signed by the real intermediate does revoke.
    const real = await makeCrl(pki.intermediate, [pki.leaf.cert]);
    expect(await codeOf(verifyX509Request(await okRequest(), { ...baseOptions(), crls: [crl, real] }))).toBe(
      'CERT_REVOKED',
    );
  });

  it('any region when none is required', async () => {
    const request = await signed(leafSigner(), { region: 'ap-southeast-2' });
    const { region: _ignored, ...options } = baseOptions();
    expect((await verifyX509Request(request, options)).region).toBe('ap-southeast-2');
  });
});

describe('round trip', () => {
  it.each(['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072'] as const)(
    '%s leaf signs and verifies',
    async (kind) => {
      const leaf = await makeCert(`CN=round trip ${kind}`, pki.intermediate, { kind });
      const request = await signed(signerOf(leaf, [pki.intermediate]));
      const result = await verifyX509Request(request, baseOptions());
      expect(result.algorithm).toBe(
        kind.startsWith('rsa') ? 'AWS4-X509-RSA-SHA256' : 'AWS4-X509-ECDSA-SHA256',
      );
      expect(result.serial).toBe(serialToDecimal(leaf.cert));
      // And one flipped body byte breaks it.
      expect(
        await codeOf(verifyX509Request({ ...request, body: '{"durationSeconds":3601}' }, baseOptions())),
      ).toBe('SIGNATURE_INVALID');
    },
  );

  it('RSA intermediates and root under an EC leaf', async () => {
    const root = await makeCa('CN=rsa root', undefined, { kind: 'rsa-2048' });
    const intermediate = await makeCa('CN=rsa intermediate', root, { kind: 'rsa-2048' });
    const leaf = await makeCert('CN=ec under rsa', intermediate);
    const result = await verifyX509Request(await signed(signerOf(leaf, [intermediate])), {
      ...baseOptions(),
      trustAnchors: [root.cert],
    });
    expect(result.trustAnchor.subject).toBe('CN=rsa root');
  });
});
