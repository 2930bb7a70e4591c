import { createPrivateKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManagedSigner } from '../../../src/agent/managed-signer';
import { AgentError } from '../../../src/errors';
import { fromKeyObject } from '../../../src/signer/from-key-object';
import type { Signer } from '../../../src/signer/signer';
import { x509 } from '../../../src/x509/x509';
import { makeTempDir } from '../../helpers/tmp';
import { makePki, type Pki } from './agent-fixture';

// The key behind the managed signer is a real file key; "the token" is a switch in front of it,
// so the tests decide when it is gone. (The SoftHSM test shows the same with a real token.)
const tmp = makeTempDir('ra-agent-managed-');
let pki: Pki;
afterAll(() => tmp.remove());
beforeAll(() => {
  pki = makePki(tmp.path);
});

const T0 = Date.parse('2031-01-01T00:00:00Z');

function switchableToken() {
  const state = { present: true, opens: 0, signs: 0, pinWrong: false };
  const real = (): Signer =>
    fromKeyObject(createPrivateKey(pki.leaf.keyPem), new x509.X509Certificate(pki.leaf.certPem), []);
  const gone = () => new AgentError('TOKEN_UNAVAILABLE', 'token "t" is unavailable', { hint: 'plug it in' });
  const open = async (): Promise<Signer> => {
    state.opens += 1;
    if (state.pinWrong) throw new AgentError('PIN_INCORRECT', 'the pin is incorrect');
    if (!state.present) throw gone();
    const signer = real();
    return {
      ...signer,
      async sign(data, digest) {
        state.signs += 1;
        if (!state.present) throw gone();
        return signer.sign(data, digest);
      },
    };
  };
  return { state, open };
}

describe('createManagedSigner', () => {
  it('opens once, signs, fails fast during the backoff after a token failure, and recovers after it', async () => {
    const clock = { t: T0 };
    const token = switchableToken();
    const managed = createManagedSigner(token.open, {
      label: 'test',
      now: () => new Date(clock.t),
      random: () => 0.5,
    });
    const data = Buffer.from('x');
    const signature = await managed.sign(data);
    expect(verify('sha256', data, { key: pki.leaf.certPem, dsaEncoding: 'der' }, signature)).toBe(true);
    expect(managed.status()).toMatchObject({ state: 'ready', failures: 0, signatures: 1 });

    token.state.present = false;
    const concurrent = await Promise.allSettled(Array.from({ length: 20 }, () => managed.sign(data)));
    expect(concurrent.every((result) => result.status === 'rejected')).toBe(true);
    const status = managed.status();
    // One outage is one failure, not twenty: the backoff stays short.
    expect(status).toMatchObject({
      state: 'unavailable',
      failures: 1,
      lastError: { code: 'TOKEN_UNAVAILABLE' },
      needsReload: false,
    });
    expect(status.retryAt?.getTime()).toBe(T0 + 375); // floor 250 + 0.5 * (500 - 250)

    const signsBefore = token.state.signs;
    await expect(managed.sign(data)).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    expect(token.state.signs).toBe(signsBefore); // failed fast: the token was not touched

    clock.t += 400;
    await expect(managed.sign(data)).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    expect(token.state.signs).toBe(signsBefore + 1); // one probe after the backoff
    expect(managed.status().failures).toBe(2);

    token.state.present = true;
    clock.t += 60_000;
    const results = await Promise.all(Array.from({ length: 5 }, () => managed.sign(data)));
    expect(results).toHaveLength(5);
    expect(managed.status()).toMatchObject({ state: 'ready', failures: 0 });
    expect(token.state.opens).toBe(1);
    await managed.close();
    expect(managed.status().state).toBe('closed');
    await expect(managed.sign(data)).rejects.toMatchObject({ code: 'SIGNER_CLOSED' });
  });

  it('re-opens a key that could not be opened, after the backoff', async () => {
    const clock = { t: T0 };
    const token = switchableToken();
    token.state.present = false;
    const managed = createManagedSigner(token.open, {
      label: 'test',
      now: () => new Date(clock.t),
      random: () => 0,
    });
    await expect(managed.signer()).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    await expect(managed.signer()).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    expect(token.state.opens).toBe(1);
    token.state.present = true;
    clock.t += 300;
    await expect(managed.signer()).resolves.toBeDefined();
    expect(token.state.opens).toBe(2);
    expect(managed.status().state).toBe('ready');
    await managed.close();
  });

  it('never retries a PIN error on its own: it could lock the token', async () => {
    const clock = { t: T0 };
    const token = switchableToken();
    token.state.pinWrong = true;
    const managed = createManagedSigner(token.open, {
      label: 'test',
      now: () => new Date(clock.t),
      background: true,
    });
    await expect(managed.signer()).rejects.toMatchObject({ code: 'PIN_INCORRECT' });
    clock.t += 24 * 3600_000;
    await expect(managed.signer()).rejects.toMatchObject({ code: 'PIN_INCORRECT' });
    expect(token.state.opens).toBe(1);
    expect(managed.status()).toMatchObject({ state: 'unavailable', needsReload: true });
    expect(managed.status().retryAt).toBeUndefined();
    await managed.close();
  });

  it('probes the token in the background after a failure, so it recovers without requests', async () => {
    const token = switchableToken();
    const managed = createManagedSigner(token.open, {
      label: 'test',
      background: true,
      backoff: { baseMs: 20, capMs: 40, floorMs: 10 },
    });
    await managed.signer();
    token.state.present = false;
    await expect(managed.sign(Buffer.from('x'))).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    token.state.present = true;
    const deadline = Date.now() + 10_000;
    while (managed.status().state !== 'ready' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(managed.status().state).toBe('ready');
    await managed.close();
  });
});
