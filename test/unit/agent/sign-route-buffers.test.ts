import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProfileSigner } from '../../../src/agent/profile-runtime';
import type { Signer } from '../../../src/signer/signer';
import { makeTempDir } from '../../helpers/tmp';
import {
  type CannedEndpoint,
  fileProfileYaml,
  freshCredentials,
  makePki,
  type Pki,
  request,
  startCannedEndpoint,
  startTestAgent,
  type TestAgent,
} from './agent-fixture';

const tmp = makeTempDir('ra-agent-sign-buffers-');
let endpoint: CannedEndpoint;
let pki: Pki;
let test: TestAgent;
/** What the sign route handed to the profile's signer. */
const signed: Uint8Array[] = [];

beforeAll(async () => {
  pki = makePki(tmp.path);
  endpoint = await startCannedEndpoint();
  endpoint.respond(freshCredentials());
  test = await startTestAgent(
    tmp.path,
    ['profiles:', fileProfileYaml('edge', pki.leaf, endpoint.url)].join('\n'),
    {
      // The real key-file signer, recording the data it is given.
      openSigner: async (profile) => {
        const signer = await openProfileSigner(profile);
        const recording: Signer = {
          ...signer,
          sign: (data, digest) => {
            signed.push(data);
            return signer.sign(data, digest);
          },
        };
        return recording;
      },
    },
  );
});

afterAll(async () => {
  await test?.close();
  await endpoint?.close();
  tmp.remove();
});

describe('POST /v1/profiles/<name>/sign and Node.js buffer pools', () => {
  it('decodes the data into memory of its own, not a slice of the shared pool a long request would pin', async () => {
    // Smaller than Buffer.poolSize / 2: Buffer.from(base64) would take a slice of the 8 KiB pool.
    const data = Buffer.from('x'.repeat(300));
    const reply = await request(
      test.socket,
      'POST',
      '/v1/profiles/edge/sign',
      JSON.stringify({ digest: 'SHA256', data: data.toString('base64') }),
      { 'content-type': 'application/json' },
    );
    expect(reply.status).toBe(200);
    const given = signed.find((bytes) => Buffer.from(bytes).equals(data));
    expect(given).toBeDefined();
    expect(given?.byteOffset).toBe(0);
    expect(given?.buffer.byteLength).toBe(data.length);
    const signature = Buffer.from(reply.json().signature as string, 'base64');
    expect(
      verify('sha256', data, { key: createPublicKey(pki.leaf.certPem), dsaEncoding: 'der' }, signature),
    ).toBe(true);
  });
});
