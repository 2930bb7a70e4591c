import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pinSourcePath, readPinFile, resolvePin } from '../../../src/pkcs11/pin';
import { parsePkcs11Uri } from '../../../src/pkcs11/uri';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('ra-pin-');
afterAll(() => tmp.remove());
const token = 'token "ra-test" (serial 1)';

describe('pinSourcePath', () => {
  it('takes a path or a file: URI', () => {
    expect(pinSourcePath('/etc/ra/pin')).toBe('/etc/ra/pin');
    expect(pinSourcePath('file:///etc/ra/pin%20file')).toBe('/etc/ra/pin file');
    expect(pinSourcePath('file:/etc/ra/pin')).toBe('/etc/ra/pin');
  });

  it('refuses commands and other schemes', () => {
    for (const source of ['|/usr/bin/get-pin', 'https://example.com/pin', 'file://remote-host/pin']) {
      expect(() => pinSourcePath(source)).toThrow(expect.objectContaining({ code: 'PKCS11_URI_INVALID' }));
    }
  });
});

describe('readPinFile', () => {
  it('strips one trailing newline (LF or CRLF) and nothing else', () => {
    const path = join(tmp.path, 'pin');
    for (const [content, pin] of [
      ['1234\n', '1234'],
      ['1234\r\n', '1234'],
      ['1234', '1234'],
      [' 12 34\n\n', ' 12 34\n'],
    ]) {
      writeFileSync(path, content as string);
      expect(readPinFile(path)).toBe(pin);
    }
  });

  it('says which file is missing or empty, never its content', () => {
    expect(() => readPinFile(join(tmp.path, 'absent'))).toThrow(
      expect.objectContaining({
        code: 'FILE_UNREADABLE',
        message: expect.stringContaining('pin-source file'),
      }),
    );
    const empty = join(tmp.path, 'empty');
    writeFileSync(empty, '\n');
    expect(() => readPinFile(empty)).toThrow(expect.objectContaining({ code: 'PIN_REQUIRED' }));
  });
});

describe('resolvePin', () => {
  const pinFile = join(tmp.path, 'pin-file');
  writeFileSync(pinFile, 'from-file\n');

  it('takes the first source that gives a PIN: pin-value, pin-source, option, RA_PKCS11_PIN', async () => {
    const env = { RA_PKCS11_PIN: 'from-env' };
    const base = { env, prompt: false };
    expect(
      await resolvePin(
        { ...base, uri: parsePkcs11Uri('pkcs11:?pin-value=from-uri'), pin: 'from-option' },
        token,
      ),
    ).toBe('from-uri');
    expect(
      await resolvePin(
        { ...base, uri: parsePkcs11Uri(`pkcs11:?pin-source=${pathToFileURL(pinFile).href}`), pin: 'x' },
        token,
      ),
    ).toBe('from-file');
    expect(await resolvePin({ ...base, uri: {}, pin: 'from-option' }, token)).toBe('from-option');
    expect(await resolvePin({ ...base, uri: {} }, token)).toBe('from-env');
  });

  it('fails with PIN_REQUIRED naming the token and the ways to give one', async () => {
    await expect(resolvePin({ uri: {}, env: {}, prompt: false }, token)).rejects.toMatchObject({
      code: 'PIN_REQUIRED',
      message: `${token} needs a user pin and none was given`,
      hint: expect.stringMatching(/pin-source.*RA_PKCS11_PIN.*terminal/),
    });
  });
});
