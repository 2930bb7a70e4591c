import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import { call, Pkcs11Error, rvOf, toPkcs11Error } from '../../../src/pkcs11/error';
import { describeRv, isSessionLost, isTokenLost, rvName } from '../../../src/pkcs11/rv';

/** An error shaped exactly as pkcs11js throws it (its own class, from its own message format). */
function pkcs11jsError(name: string): Error {
  const { Pkcs11Error: NativePkcs11Error } = pkcs11js as unknown as {
    Pkcs11Error: new (message: string) => Error;
  };
  return new NativePkcs11Error(`${name}:${(pkcs11js as unknown as Record<string, number>)[name]}`);
}

describe('rv names and meanings', () => {
  it('names return values, vendor ones included', () => {
    expect(rvName(0xa0)).toBe('CKR_PIN_INCORRECT');
    expect(rvName(0x80000001)).toBe('CKR_VENDOR_DEFINED+0x1');
    expect(rvName(0x7777)).toBe('CKR_0x7777');
    expect(describeRv(0xa0)).toBe('the pin is incorrect');
    expect(describeRv(0x7777)).toBe('the module returned CKR_0x7777');
  });

  it('tells a lost token or session from other failures', () => {
    for (const name of [
      'CKR_DEVICE_REMOVED',
      'CKR_TOKEN_NOT_PRESENT',
      'CKR_SESSION_HANDLE_INVALID',
      'CKR_SESSION_CLOSED',
    ]) {
      expect(isTokenLost((pkcs11js as unknown as Record<string, number>)[name] as number)).toBe(true);
    }
    expect(isTokenLost(pkcs11js.CKR_PIN_INCORRECT)).toBe(false);
    expect(isTokenLost(pkcs11js.CKR_MECHANISM_INVALID)).toBe(false);
    expect(isSessionLost(pkcs11js.CKR_SESSION_HANDLE_INVALID)).toBe(true);
    expect(isSessionLost(pkcs11js.CKR_DEVICE_REMOVED)).toBe(false);
  });
});

describe('toPkcs11Error', () => {
  it('reads the rv of a pkcs11js error', () => {
    expect(rvOf(pkcs11jsError('CKR_DEVICE_REMOVED'))).toBe(0x32);
    expect(rvOf(new Error('CKR_DEVICE_REMOVED:50'))).toBeUndefined();
  });

  it('gives a lower-case message saying what failed, the rv name and the call', () => {
    const error = toPkcs11Error(
      pkcs11jsError('CKR_KEY_FUNCTION_NOT_PERMITTED'),
      'C_SignInit',
      'cannot sign with key "k" on token "t"',
    );
    expect(error).toBeInstanceOf(Pkcs11Error);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({
      code: 'PKCS11_ERROR',
      rv: 0x68,
      rvName: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
      fn: 'C_SignInit',
      message:
        'cannot sign with key "k" on token "t": the key is not allowed to sign (CKA_SIGN is false) (CKR_KEY_FUNCTION_NOT_PERMITTED from C_SignInit)',
    });
    expect((error as Pkcs11Error).message).not.toMatch(/0x/);
  });

  it('codes a lost token TOKEN_UNAVAILABLE, and leaves other errors alone', () => {
    expect(toPkcs11Error(pkcs11jsError('CKR_TOKEN_NOT_PRESENT'), 'C_Sign', 'x')).toMatchObject({
      code: 'TOKEN_UNAVAILABLE',
    });
    const plain = new TypeError('wrong argument');
    expect(toPkcs11Error(plain, 'C_Sign', 'x')).toBe(plain);
    const agent = new AgentError('X', 'y');
    expect(toPkcs11Error(agent, 'C_Sign', 'x')).toBe(agent);
  });

  it('call() wraps what a synchronous call throws', () => {
    expect(() =>
      call('C_OpenSession', 'cannot open a session', () => {
        throw pkcs11jsError('CKR_SESSION_COUNT');
      }),
    ).toThrow(expect.objectContaining({ rvName: 'CKR_SESSION_COUNT', fn: 'C_OpenSession' }));
    expect(call('C_GetInfo', 'x', () => 42)).toBe(42);
  });
});
