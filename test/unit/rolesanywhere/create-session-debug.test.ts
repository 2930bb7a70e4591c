import { createHash, createPrivateKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../../src/rolesanywhere/create-session';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import { parseAuthorization } from '../../../src/sigv4-x509';
import { x509 } from '../../../src/x509/x509';
import { createRootCa, issueLeaf, type TestLeaf } from '../../helpers/pki';
import { makeTempDir } from '../../helpers/tmp';
import {
  awsError,
  type CannedEndpoint,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  startCannedEndpoint,
  success,
} from './canned-endpoint';

const tmp = makeTempDir('ra-createsession-debug-');
let leaf: TestLeaf;
let endpoint: CannedEndpoint;

beforeAll(async () => {
  leaf = issueLeaf(tmp.path, createRootCa(tmp.path, 'Debug Root CA'), { name: 'debug-device' });
  endpoint = await startCannedEndpoint();
});

afterAll(async () => {
  await endpoint.close();
  tmp.remove();
});

function run(lines: string[]) {
  return createSession({
    signer: fromKeyObject(createPrivateKey(leaf.keyPem), new x509.X509Certificate(leaf.certPem), []),
    trustAnchorArn:
      'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-1111-4222-8333-444455556666',
    profileArn: 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f8e7d6c-1111-4222-8333-444455556666',
    roleArn: 'arn:aws:iam::123456789012:role/edge-role',
    endpoint: endpoint.url,
    retries: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    env: {},
    debug: (line) => lines.push(line),
  });
}

describe('createSession debug lines', () => {
  it('include the canonical request and string to sign of the request sent, and no secret', async () => {
    endpoint.respond(success);
    endpoint.requests.length = 0;
    const lines: string[] = [];
    const credentials = await run(lines);
    const canonical = lines.find((line) => line.startsWith('canonical request:\n'));
    const toSign = lines.find((line) => line.startsWith('string to sign:\n'));
    if (!canonical || !toSign) throw new Error(`no signing lines in ${JSON.stringify(lines)}`);
    const canonicalRequest = canonical.slice('canonical request:\n'.length);
    const stringToSign = toSign.slice('string to sign:\n'.length);
    const [request] = endpoint.requests;
    if (!request) throw new Error('no request recorded');
    expect(canonicalRequest.split('\n').slice(0, 2)).toEqual(['POST', '/sessions']);
    expect(canonicalRequest).toContain(`\nx-amz-date:${request.headers['x-amz-date']}\n`);
    expect(canonicalRequest.endsWith(createHash('sha256').update(request.body).digest('hex'))).toBe(true);
    expect(stringToSign.split('\n')).toEqual([
      'AWS4-X509-ECDSA-SHA256',
      String(request.headers['x-amz-date']),
      expect.stringMatching(/^\d{8}\/us-east-1\/rolesanywhere\/aws4_request$/),
      createHash('sha256').update(canonicalRequest).digest('hex'),
    ]);
    // What was logged is what the sent signature covers.
    const { signature } = parseAuthorization(String(request.headers.authorization));
    expect(verify('sha256', Buffer.from(stringToSign), leaf.certPem, Buffer.from(signature, 'hex'))).toBe(
      true,
    );
    for (const line of lines) {
      expect(line).not.toContain(credentials.secretAccessKey);
      expect(line).not.toContain(SECRET_ACCESS_KEY);
      expect(line).not.toContain(SESSION_TOKEN);
    }
  });

  it('are logged for each attempt, each signed anew', async () => {
    endpoint.respond(awsError(500, 'InternalServerException', 'try again'), success);
    endpoint.requests.length = 0;
    const lines: string[] = [];
    await run(lines);
    expect(endpoint.requests).toHaveLength(2);
    expect(lines.filter((line) => line.startsWith('string to sign:\n'))).toHaveLength(2);
  });
});
