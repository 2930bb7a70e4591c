import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KEY_TYPE_NAMES,
  keySpec,
  type TokenCapabilities,
  unsupportedReason,
} from '../../src/pkcs11/key-spec';
import { keyTemplates } from '../../src/pkcs11/keygen';
import { createSoftHsmToken, type SoftHsmToken } from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

const tmp = makeTempDir('ra-keygen-support-');
let token: SoftHsmToken;
let softhsm: (name: string) => TokenCapabilities;

/** What SoftHSM itself reports (C_GetMechanismList, C_GetMechanismInfo), read from a real token. */
beforeAll(() => {
  token = createSoftHsmToken(tmp.path, 'support');
  const api = new pkcs11js.PKCS11();
  api.load(token.module);
  api.C_Initialize();
  try {
    const slot = api.C_GetSlotList(true)[0] as Buffer;
    const mechanisms = new Set(api.C_GetMechanismList(slot));
    const infos = new Map(
      [pkcs11js.CKM_EC_KEY_PAIR_GEN, pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN].map((m) => [
        m,
        api.C_GetMechanismInfo(slot, m),
      ]),
    );
    softhsm = (name) => ({ mechanisms, generationInfo: infos.get(keySpec(name).generation) });
  } finally {
    api.C_Finalize();
  }
});
afterAll(() => tmp.remove());

// tpm2-pkcs11 1.9 on swtpm, as it answered (docs/tpm.md): EC 192..638 bits, RSA 1024..3072.
const TPM_MECHANISMS = new Set([
  pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN,
  pkcs11js.CKM_RSA_PKCS,
  pkcs11js.CKM_SHA256_RSA_PKCS,
  pkcs11js.CKM_EC_KEY_PAIR_GEN,
  pkcs11js.CKM_ECDSA,
  pkcs11js.CKM_ECDSA_SHA256,
]);
const HW_GENERATE = pkcs11js.CKF_HW | pkcs11js.CKF_GENERATE_KEY_PAIR;
const tpm = (name: string): TokenCapabilities => ({
  mechanisms: TPM_MECHANISMS,
  generationInfo:
    keySpec(name).keyType === 'ec'
      ? { minKeySize: 192, maxKeySize: 638, flags: HW_GENERATE }
      : { minKeySize: 1024, maxKeySize: 3072, flags: HW_GENERATE },
  rsaNeedsHashAndSign: true,
});

describe('which key types a token can make', () => {
  it.each(KEY_TYPE_NAMES)('SoftHSM, as it reports itself, makes %s keys', (name) => {
    expect(unsupportedReason(keySpec(name), softhsm(name))).toBeUndefined();
  });

  it.each(KEY_TYPE_NAMES)('tpm2-pkcs11 makes %s keys', (name) => {
    expect(unsupportedReason(keySpec(name), tpm(name))).toBeUndefined();
  });

  const cases: Array<[string, string, TokenCapabilities, string]> = [
    [
      'no EC generation',
      'ec-p256',
      { mechanisms: new Set([pkcs11js.CKM_ECDSA]), generationInfo: undefined },
      'it does not offer CKM_EC_KEY_PAIR_GEN',
    ],
    [
      'RSA too large for the token',
      'rsa-3072',
      {
        mechanisms: TPM_MECHANISMS,
        generationInfo: { minKeySize: 1024, maxKeySize: 2048, flags: HW_GENERATE },
      },
      'its CKM_RSA_PKCS_KEY_PAIR_GEN makes keys of 1024 to 2048 bits, not 3072',
    ],
    [
      'curve too large for the token',
      'ec-p384',
      {
        mechanisms: TPM_MECHANISMS,
        generationInfo: { minKeySize: 256, maxKeySize: 256, flags: HW_GENERATE },
      },
      'its CKM_EC_KEY_PAIR_GEN makes curves of 256 to 256 bits, not 384',
    ],
    [
      'generation mechanism that does not generate pairs',
      'ec-p256',
      {
        mechanisms: TPM_MECHANISMS,
        generationInfo: { minKeySize: 256, maxKeySize: 521, flags: pkcs11js.CKF_HW | pkcs11js.CKF_SIGN },
      },
      'its CKM_EC_KEY_PAIR_GEN does not generate key pairs',
    ],
    [
      'no ECDSA signing',
      'ec-p256',
      { mechanisms: new Set([pkcs11js.CKM_EC_KEY_PAIR_GEN]), generationInfo: undefined },
      'it offers no signing mechanism for such a key (CKM_ECDSA or CKM_ECDSA_SHA256)',
    ],
    [
      'tpm2-pkcs11 without hash-and-sign RSA (raw CKM_RSA_PKCS needs the decrypt power the key does not get)',
      'rsa-2048',
      {
        mechanisms: new Set([pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN, pkcs11js.CKM_RSA_PKCS]),
        generationInfo: undefined,
        rsaNeedsHashAndSign: true,
      },
      'it offers no signing mechanism for such a key (CKM_SHA256_RSA_PKCS)',
    ],
  ];
  it.each(cases)('refuses: %s', (_name, type, capabilities, reason) => {
    expect(unsupportedReason(keySpec(type), capabilities)).toBe(reason);
  });

  it('leaves the decision to the token when it tells nothing (no mechanism list, 0..0 sizes)', () => {
    expect(
      unsupportedReason(keySpec('rsa-3072'), { mechanisms: undefined, generationInfo: undefined }),
    ).toBeUndefined();
    expect(
      unsupportedReason(keySpec('ec-p384'), {
        mechanisms: undefined,
        generationInfo: { minKeySize: 0, maxKeySize: 0, flags: 0 },
      }),
    ).toBeUndefined();
  });

  it('refuses an unknown type by name', () => {
    expect(() => keySpec('ed25519')).toThrow(/unknown key type "ed25519"/);
  });
});

describe('key templates', () => {
  const flags = (template: pkcs11js.Template) =>
    Object.fromEntries(template.filter((a) => typeof a.value === 'boolean').map((a) => [a.type, a.value]));

  it('a sign-only private key, a verify-only public key, same label and id', () => {
    const { publicTemplate, privateTemplate } = keyTemplates(
      keySpec('ec-p256'),
      'device',
      Uint8Array.from([1, 2]),
      false,
    );
    expect(flags(privateTemplate)).toEqual({
      [pkcs11js.CKA_TOKEN]: true,
      [pkcs11js.CKA_PRIVATE]: true,
      [pkcs11js.CKA_SENSITIVE]: true,
      [pkcs11js.CKA_EXTRACTABLE]: false,
      [pkcs11js.CKA_SIGN]: true,
      [pkcs11js.CKA_DECRYPT]: false,
      [pkcs11js.CKA_UNWRAP]: false,
      [pkcs11js.CKA_DERIVE]: false,
    });
    expect(flags(publicTemplate)).toEqual({
      [pkcs11js.CKA_TOKEN]: true,
      [pkcs11js.CKA_PRIVATE]: false,
      [pkcs11js.CKA_VERIFY]: true,
      [pkcs11js.CKA_ENCRYPT]: false,
      [pkcs11js.CKA_WRAP]: false,
      [pkcs11js.CKA_DERIVE]: false,
    });
    for (const template of [publicTemplate, privateTemplate]) {
      expect(template.find((a) => a.type === pkcs11js.CKA_LABEL)?.value).toEqual(Buffer.from('device'));
      expect(template.find((a) => a.type === pkcs11js.CKA_ID)?.value).toEqual(Buffer.from([1, 2]));
    }
  });

  it('for tpm2-pkcs11 the public template names no usage (it would become TPM decrypt power)', () => {
    const { publicTemplate, privateTemplate } = keyTemplates(
      keySpec('rsa-2048'),
      'device',
      Uint8Array.from([1]),
      true,
    );
    const usage = [pkcs11js.CKA_VERIFY, pkcs11js.CKA_ENCRYPT, pkcs11js.CKA_WRAP, pkcs11js.CKA_DERIVE];
    expect(publicTemplate.filter((a) => usage.includes(a.type))).toEqual([]);
    expect(flags(privateTemplate)[pkcs11js.CKA_DECRYPT]).toBe(false);
    expect(publicTemplate.find((a) => a.type === pkcs11js.CKA_MODULUS_BITS)?.value).toBe(2048);
  });
});
