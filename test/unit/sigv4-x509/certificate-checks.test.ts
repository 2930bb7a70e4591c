import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentError } from '../../../src/errors';
import {
  assertAcceptableLeaf,
  hasStrongSignature,
  isCa,
  isVersion3,
} from '../../../src/sigv4-x509/certificate-checks';
import { makeTempDir } from '../../helpers/tmp';
import { FIXED, type Issued, makeCa, makeCert, makeV1Leaf } from './test-pki';

let ca: Issued;
let tmp: ReturnType<typeof makeTempDir>;

beforeAll(async () => {
  tmp = makeTempDir('ra-sigv4-checks-');
  ca = await makeCa('CN=checks CA');
});
afterAll(() => tmp?.remove());

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'OK';
  } catch (error) {
    return isAgentError(error) ? error.code : 'OTHER';
  }
}

describe('certificate checks', () => {
  it('tells v3 from v1', async () => {
    expect(isVersion3((await makeCert('CN=v3', ca)).cert)).toBe(true);
    expect(isVersion3((await makeV1Leaf(tmp.path, ca)).cert)).toBe(false);
  });

  it('accepts SHA-256/384 signatures and refuses SHA-1', async () => {
    expect(hasStrongSignature((await makeCert('CN=s256', ca)).cert)).toBe(true);
    expect(hasStrongSignature((await makeCert('CN=s384', ca, { hash: 'SHA-384' })).cert)).toBe(true);
    expect(hasStrongSignature((await makeCert('CN=s1', ca, { hash: 'SHA-1' })).cert)).toBe(false);
  });

  it('treats a missing basicConstraints as not a CA', async () => {
    const leaf = await makeCert('CN=no bc', ca, { basicConstraints: false });
    expect(isCa(leaf.cert)).toBe(false);
    expect(codeOf(() => assertAcceptableLeaf(leaf.cert, FIXED.now))).toBe('OK');
  });

  it('checks validity inclusively at both ends', async () => {
    const leaf = await makeCert('CN=window', ca, {
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2026-12-31T23:59:59Z'),
    });
    expect(codeOf(() => assertAcceptableLeaf(leaf.cert, new Date('2026-01-01T00:00:00Z')))).toBe('OK');
    expect(codeOf(() => assertAcceptableLeaf(leaf.cert, new Date('2026-12-31T23:59:59Z')))).toBe('OK');
    expect(codeOf(() => assertAcceptableLeaf(leaf.cert, new Date('2025-12-31T23:59:59Z')))).toBe(
      'CERT_NOT_YET_VALID',
    );
    expect(codeOf(() => assertAcceptableLeaf(leaf.cert, new Date('2027-01-01T00:00:00Z')))).toBe(
      'CERT_EXPIRED',
    );
  });
});
