import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/errors';
import { type FromPkcs11Options, fromPkcs11 } from '../../src/signer/from-pkcs11';
import { createIntermediateCa, createRootCa, issueLeaf } from '../helpers/pki';
import {
  addSoftHsmToken,
  createSoftHsmToken,
  importCertificate,
  importKey,
  type SoftHsmToken,
  setSoftHsmTokenFlags,
} from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

// OpenSC's pkcs11-spy is a real PKCS#11 module that forwards every call to SoftHSM and logs
// it: the log shows how many times C_Login reached the token.
const SPY = '/usr/lib/x86_64-linux-gnu/pkcs11-spy.so';
const PIN = '246810';
const WRONG = '135791';
const tmp = makeTempDir('ra-pkcs11-pin-');
const spyLog = join(tmp.path, 'spy.log');
let token: SoftHsmToken;

const logins = () =>
  existsSync(spyLog) ? (readFileSync(spyLog, 'utf8').match(/C_Login\b/g)?.length ?? 0) : 0;
const logouts = () =>
  existsSync(spyLog) ? (readFileSync(spyLog, 'utf8').match(/C_Logout\b/g)?.length ?? 0) : 0;

beforeAll(() => {
  if (!existsSync(SPY))
    throw new Error(`${SPY} is missing: run scripts/setup.sh (installs Debian package opensc)`);
  token = createSoftHsmToken(tmp.path, 'ra-pin', PIN);
  for (const label of ['ra-wrong', 'ra-locked', 'ra-final']) addSoftHsmToken(token, label);
  const root = createRootCa(tmp.path, 'Pin Root CA');
  const intermediate = createIntermediateCa(tmp.path, root, 'Pin Intermediate CA');
  const device = issueLeaf(tmp.path, intermediate, { name: 'device' });
  for (const label of ['ra-pin', 'ra-wrong', 'ra-locked', 'ra-final']) {
    importKey(token, device.keyPath, '01', 'device', label);
    importCertificate(token, device.certPath, '01', 'device', label);
  }
  // SoftHSM never locks a PIN nor counts tries (it only raises CKF_USER_PIN_COUNT_LOW after a
  // failure): the locked and final-try states are set in its token files before it loads.
  setSoftHsmTokenFlags(token, 'ra-locked', pkcs11js.CKF_USER_PIN_LOCKED);
  setSoftHsmTokenFlags(token, 'ra-final', pkcs11js.CKF_USER_PIN_FINAL_TRY);
  process.env.PKCS11SPY = token.module;
  process.env.PKCS11SPY_OUTPUT = spyLog;
});

afterAll(() => tmp.remove());

async function failure(options: FromPkcs11Options): Promise<AgentError> {
  try {
    const signer = await fromPkcs11(options);
    await signer.close();
  } catch (error) {
    if (error instanceof AgentError) return error;
    throw error;
  }
  throw new Error('fromPkcs11 succeeded');
}

const keyOn = (label: string, query: string) => `pkcs11:token=${label};id=%01${query ? `?${query}` : ''}`;

describe('PINs on SoftHSM (through pkcs11-spy)', () => {
  it('tries a wrong PIN once, says so, and never sends it again', async () => {
    const before = logins();
    const error = await failure({ uri: keyOn('ra-wrong', `pin-value=${WRONG}`), module: SPY });
    expect(error.code).toBe('PIN_INCORRECT');
    expect(error.message).toMatch(
      /^the pin for token "ra-wrong" \(serial [0-9a-f]+\) is incorrect \(it was tried once and is not retried\); the token reports few tries left \(pin count low\)$/,
    );
    expect(error.hint).toMatch(/wrong try counts towards locking/);
    expect(logins() - before).toBe(1);

    const again = await failure({ uri: keyOn('ra-wrong', `pin-value=${WRONG}`), module: SPY });
    expect(again.code).toBe('PIN_INCORRECT');
    expect(again.message).toMatch(/was already refused by the token; it is not tried again$/);
    expect(logins() - before).toBe(1);

    const signer = await fromPkcs11({ uri: keyOn('ra-wrong', `pin-value=${PIN}`), module: SPY });
    await signer.sign(new Uint8Array([1]));
    await signer.close();
    expect(logins() - before).toBe(2);
    for (const text of [error.message, error.hint, again.message, again.hint, JSON.stringify(error)])
      expect(text).not.toContain(WRONG);
  });

  it('does not try a PIN the token reports locked (PIN_LOCKED)', async () => {
    const before = logins();
    const error = await failure({ uri: keyOn('ra-locked', `pin-value=${PIN}`), module: SPY });
    expect(error.code).toBe('PIN_LOCKED');
    expect(error.message).toMatch(
      /^the user pin of token "ra-locked" \(serial [0-9a-f]+\) is locked; no login was tried$/,
    );
    expect(error.hint).toMatch(/security officer PIN/);
    expect(logins()).toBe(before);
  });

  it('says "final try" when the token reports it after a wrong PIN', async () => {
    const error = await failure({ uri: keyOn('ra-final', `pin-value=${WRONG}`), module: SPY });
    expect(error.code).toBe('PIN_INCORRECT');
    expect(error.message).toMatch(/one try left before it locks \(final try\)$/);
  });

  it('shares one login per token between signers and logs out when the last one closes', async () => {
    const loginsBefore = logins();
    const logoutsBefore = logouts();
    const first = await fromPkcs11({ uri: keyOn('ra-pin', `pin-value=${PIN}`), module: SPY });
    // Already logged in: the second signer needs no PIN at all.
    const second = await fromPkcs11({ uri: keyOn('ra-pin', ''), module: SPY, prompt: false });
    expect(logins() - loginsBefore).toBe(1);
    await first.close();
    await second.sign(new Uint8Array([2]));
    expect(logouts()).toBe(logoutsBefore);
    await second.close();
    expect(logouts() - logoutsBefore).toBe(1);
    const third = await fromPkcs11({ uri: keyOn('ra-pin', `pin-value=${PIN}`), module: SPY });
    expect(logins() - loginsBefore).toBe(2);
    await third.close();
  });

  it('reads the PIN from pin-source, the pin option and RA_PKCS11_PIN', async () => {
    const pinFile = join(tmp.path, 'pin');
    writeFileSync(pinFile, `${PIN}\n`, { mode: 0o600 });
    const sources: FromPkcs11Options[] = [
      { uri: keyOn('ra-pin', `pin-source=${pinFile}`), module: SPY },
      { uri: keyOn('ra-pin', `pin-source=file://${pinFile}`), module: SPY },
      { uri: keyOn('ra-pin', ''), module: SPY, pin: PIN },
    ];
    for (const options of sources) {
      const signer = await fromPkcs11(options);
      await signer.sign(new Uint8Array([3]));
      await signer.close();
    }
    process.env.RA_PKCS11_PIN = PIN;
    try {
      const signer = await fromPkcs11({ uri: keyOn('ra-pin', ''), module: SPY, prompt: false });
      await signer.close();
    } finally {
      delete process.env.RA_PKCS11_PIN;
    }
  });
});
