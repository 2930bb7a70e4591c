import { describe, expect, it } from 'vitest';
import { toBase64, toPem } from '../../../src/x509/pem';

describe('toBase64 and toPem', () => {
  it('encodes only the bytes a view covers, and an ArrayBuffer whole', () => {
    const whole = Uint8Array.from({ length: 10 }, (_, i) => i);
    expect(toBase64(whole.subarray(2, 5))).toBe(Buffer.from([2, 3, 4]).toString('base64'));
    expect(toBase64(whole.buffer)).toBe(Buffer.from(whole).toString('base64'));
  });

  it('writes lines of 64 characters between BEGIN and END, ending with a newline', () => {
    for (const size of [1, 48, 49, 200]) {
      const der = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
      const text = toPem('CERTIFICATE', der);
      const lines = text.split('\n');
      expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
      expect(lines.at(-2)).toBe('-----END CERTIFICATE-----');
      expect(lines.at(-1)).toBe('');
      const body = lines.slice(1, -2);
      expect(body.slice(0, -1).every((line) => line.length === 64)).toBe(true);
      expect(Buffer.from(body.join(''), 'base64').equals(Buffer.from(der))).toBe(true);
    }
  });
});
