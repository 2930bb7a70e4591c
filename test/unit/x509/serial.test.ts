import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serialToDecimal, serialToHex } from '../../../src/x509/serial';
import { x509 } from '../../../src/x509/x509';

const VECTORS = join(import.meta.dirname, '../../fixtures/vectors');

describe('serial', () => {
  it('gives the decimal serial needroleshere puts in the Credential, and the hex one', () => {
    const cert = new x509.X509Certificate(readFileSync(join(VECTORS, 'needroleshere-cert.pem'), 'utf8'));
    expect(serialToDecimal(cert)).toBe('337562787801933536189724934726614584366112857655');
    expect(serialToHex(cert)).toBe('3b20d6c345c1d0b47c82d7df41fb821b18025e37');
  });
});
