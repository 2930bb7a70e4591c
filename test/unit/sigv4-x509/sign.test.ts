import { createPrivateKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpRequest } from '@smithy/protocol-http';
import { describe, expect, it } from 'vitest';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import type { Digest, Signer } from '../../../src/signer/signer';
import {
  createCanonicalRequest,
  createStringToSign,
  hostHeader,
  parseAuthorization,
  signX509Request,
  type X509SignableRequest,
} from '../../../src/sigv4-x509';
import { type X509Certificate, x509 } from '../../../src/x509/x509';

const FIXTURES = join(import.meta.dirname, '../../fixtures/sigv4-x509');
const cert = (name: string): X509Certificate =>
  new x509.X509Certificate(readFileSync(join(FIXTURES, name), 'utf8'));
const leaf = cert('leaf-ec.crt');
const intermediate = cert('intermediate.crt');
const key = createPrivateKey(readFileSync(join(FIXTURES, 'leaf-ec.key')));
const DATE = new Date('2027-03-04T05:06:07Z');

function request(overrides: Partial<X509SignableRequest> = {}): X509SignableRequest {
  return {
    method: 'POST',
    protocol: 'https:',
    hostname: 'rolesanywhere.eu-west-1.amazonaws.com',
    path: '/sessions',
    query: { roleArn: 'arn:aws:iam::1:role/r' },
    headers: { 'content-type': 'application/json' },
    body: '{"durationSeconds":900}',
    ...overrides,
  };
}

/** A real file-key signer that also records what it was asked to sign. */
function recordingSigner(chain: X509Certificate[] = [intermediate]) {
  const inner = fromKeyObject(key, leaf, chain);
  const calls: { data: string; digest: Digest | undefined }[] = [];
  const signer: Signer = {
    ...inner,
    async sign(data, digest) {
      calls.push({ data: new TextDecoder().decode(data), digest });
      return inner.sign(data, digest);
    },
  };
  return { signer, calls };
}

describe('signX509Request', () => {
  it('returns a new request the AWS SDK takes for an HttpRequest, and leaves the input untouched', async () => {
    const input = request({
      headers: { 'content-type': 'application/json', 'X-Amz-Date': '19990101T000000Z' },
    });
    const before = structuredClone(input);
    const signed = await signX509Request(input, {
      signer: recordingSigner().signer,
      region: 'eu-west-1',
      signingDate: DATE,
    });
    expect(HttpRequest.isInstance(signed)).toBe(true);
    expect(input).toEqual(before);
    signed.query.roleArn = 'changed';
    expect(input.query.roleArn).toBe('arn:aws:iam::1:role/r');
  });

  it('adds host, x-amz-date, x-amz-x509, x-amz-x509-chain and authorization, and signs the string to sign', async () => {
    const { signer, calls } = recordingSigner();
    const signed = await signX509Request(request(), { signer, region: 'eu-west-1', signingDate: DATE });
    expect(signed.headers.host).toBe('rolesanywhere.eu-west-1.amazonaws.com');
    expect(signed.headers['x-amz-date']).toBe('20270304T050607Z');
    expect(signed.headers['x-amz-x509']).toBe(Buffer.from(leaf.rawData).toString('base64'));
    expect(signed.headers['x-amz-x509-chain']).toBe(Buffer.from(intermediate.rawData).toString('base64'));

    const auth = parseAuthorization(signed.headers.authorization ?? '');
    expect(auth.algorithm).toBe('AWS4-X509-ECDSA-SHA256');
    expect(auth.serial).toBe(BigInt(`0x${leaf.serialNumber}`).toString());
    expect(auth.scope).toBe('20270304/eu-west-1/rolesanywhere/aws4_request');
    expect(auth.signedHeaders).toEqual([
      'content-type',
      'host',
      'x-amz-date',
      'x-amz-x509',
      'x-amz-x509-chain',
    ]);

    const stringToSign = createStringToSign(
      'AWS4-X509-ECDSA-SHA256',
      '20270304T050607Z',
      auth.scope,
      createCanonicalRequest(signed, auth.signedHeaders),
    );
    expect(calls).toEqual([{ data: stringToSign, digest: 'SHA256' }]);
    const publicKey = {
      key: Buffer.from(leaf.publicKey.rawData),
      format: 'der' as const,
      type: 'spki' as const,
      dsaEncoding: 'der' as const,
    };
    expect(
      cryptoVerify('sha256', Buffer.from(stringToSign), publicKey, Buffer.from(auth.signature, 'hex')),
    ).toBe(true);
  });

  it('replaces generated headers the caller left, in any case, and drops a stale chain when the signer has none', async () => {
    const input = request({
      headers: {
        'content-type': 'application/json',
        Authorization: 'old',
        'X-Amz-Date': 'old',
        'X-AMZ-X509': 'old',
        'X-Amz-X509-Chain': 'old',
      },
    });
    const signed = await signX509Request(input, {
      signer: recordingSigner([]).signer,
      region: 'eu-west-1',
      signingDate: DATE,
    });
    expect(Object.keys(signed.headers).sort()).toEqual([
      'authorization',
      'content-type',
      'host',
      'x-amz-date',
      'x-amz-x509',
    ]);
    expect(parseAuthorization(signed.headers.authorization ?? '').signedHeaders).toEqual([
      'content-type',
      'host',
      'x-amz-date',
      'x-amz-x509',
    ]);
  });

  it('keeps a Host the caller set and leaves user-agent and x-amzn-trace-id unsigned', async () => {
    const input = request({
      hostname: '127.0.0.1',
      port: 9443,
      headers: {
        Host: 'rolesanywhere.eu-west-1.amazonaws.com',
        'User-Agent': 'ua/1',
        'X-Amzn-Trace-Id': 'Root=1',
      },
    });
    const signed = await signX509Request(input, {
      signer: recordingSigner().signer,
      region: 'eu-west-1',
      signingDate: DATE,
    });
    expect(signed.headers.Host).toBe('rolesanywhere.eu-west-1.amazonaws.com');
    expect(signed.headers.host).toBeUndefined();
    expect(parseAuthorization(signed.headers.authorization ?? '').signedHeaders).toEqual([
      'host',
      'x-amz-date',
      'x-amz-x509',
      'x-amz-x509-chain',
    ]);
  });

  it('takes an @smithy/protocol-http HttpRequest as input', async () => {
    const input = new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: 'rolesanywhere.eu-west-1.amazonaws.com',
      path: '/sessions',
      query: { roleArn: 'arn:aws:iam::1:role/r' },
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const signed = await signX509Request(input, {
      signer: recordingSigner().signer,
      region: 'eu-west-1',
      signingDate: DATE,
    });
    expect(signed).not.toBe(input);
    expect(input.headers.authorization).toBeUndefined();
    expect(parseAuthorization(signed.headers.authorization ?? '').region).toBe('eu-west-1');
  });

  it('uses the given service and defaults the date to now', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const signed = await signX509Request(request(), {
      signer: recordingSigner().signer,
      region: 'us-east-1',
      service: 'service',
    });
    const after = Date.now();
    expect(parseAuthorization(signed.headers.authorization ?? '').service).toBe('service');
    const amz = signed.headers['x-amz-date'] ?? '';
    const signedAt = Date.parse(
      `${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 11)}:${amz.slice(11, 13)}:${amz.slice(13)}`,
    );
    expect(signedAt).toBeGreaterThanOrEqual(before);
    expect(signedAt).toBeLessThanOrEqual(after);
  });
});

describe('hostHeader', () => {
  it.each<[Parameters<typeof hostHeader>[0], string]>([
    [{ protocol: 'https:', hostname: 'a.example', port: 443 }, 'a.example'],
    [{ protocol: 'https:', hostname: 'a.example' }, 'a.example'],
    [{ protocol: 'https', hostname: 'a.example', port: 8443 }, 'a.example:8443'],
    [{ protocol: 'http:', hostname: 'a.example', port: 80 }, 'a.example'],
    [{ protocol: 'http:', hostname: 'a.example', port: 443 }, 'a.example:443'],
    [{ protocol: 'http:', hostname: '::1', port: 9911 }, '[::1]:9911'],
    [{ protocol: 'https:', hostname: '[::1]', port: 443 }, '[::1]'],
  ])('%j -> %s', (request, expected) => {
    expect(hostHeader(request)).toBe(expected);
  });
});
