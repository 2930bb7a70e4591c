import pkcs11js from 'pkcs11js';
import { AgentError } from '../errors';
import type { EcCurve, KeyType } from '../signer/signer';

import { KEY_TYPE_NAMES, type KeyTypeName } from './key-type-names';

export { KEY_TYPE_NAMES, type KeyTypeName };

export interface KeySpec {
  name: KeyTypeName;
  keyType: KeyType;
  curve?: EcCurve;
  /** Curve order bits (EC) or modulus bits (RSA): what C_GetMechanismInfo's key size range counts. */
  bits: number;
  /** DER of the named curve OID, for CKA_EC_PARAMS. */
  ecParams?: Buffer;
  generation: number;
  /** Mechanism name for messages. */
  generationName: string;
}

const SPECS: Record<KeyTypeName, KeySpec> = {
  'ec-p256': {
    name: 'ec-p256',
    keyType: 'ec',
    curve: 'P-256',
    bits: 256,
    ecParams: Buffer.from('06082a8648ce3d030107', 'hex'),
    generation: pkcs11js.CKM_EC_KEY_PAIR_GEN,
    generationName: 'CKM_EC_KEY_PAIR_GEN',
  },
  'ec-p384': {
    name: 'ec-p384',
    keyType: 'ec',
    curve: 'P-384',
    bits: 384,
    ecParams: Buffer.from('06052b81040022', 'hex'),
    generation: pkcs11js.CKM_EC_KEY_PAIR_GEN,
    generationName: 'CKM_EC_KEY_PAIR_GEN',
  },
  'rsa-2048': {
    name: 'rsa-2048',
    keyType: 'rsa',
    bits: 2048,
    generation: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN,
    generationName: 'CKM_RSA_PKCS_KEY_PAIR_GEN',
  },
  'rsa-3072': {
    name: 'rsa-3072',
    keyType: 'rsa',
    bits: 3072,
    generation: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN,
    generationName: 'CKM_RSA_PKCS_KEY_PAIR_GEN',
  },
};

export function keySpec(name: string): KeySpec {
  const spec = SPECS[name as KeyTypeName];
  if (!spec) {
    throw new AgentError('KEY_TYPE_UNSUPPORTED', `unknown key type "${name}"`, {
      hint: `use one of ${KEY_TYPE_NAMES.join(', ')}`,
    });
  }
  return spec;
}

/** What a token says it can do, as far as generating and then signing with one key type goes. */
export interface TokenCapabilities {
  /** C_GetMechanismList; undefined when the module does not list mechanisms (then the token decides). */
  mechanisms: ReadonlySet<number> | undefined;
  /** C_GetMechanismInfo of the generation mechanism, when the module gives it. */
  generationInfo: { minKeySize: number; maxKeySize: number; flags: number } | undefined;
  /** The module signs RSA only through hash-and-sign mechanisms for sign-only keys (tpm2-pkcs11). */
  rsaNeedsHashAndSign?: boolean;
}

const SIGNING: Record<KeyType, { mechanisms: number[]; names: string }> = {
  ec: {
    mechanisms: [pkcs11js.CKM_ECDSA, pkcs11js.CKM_ECDSA_SHA256],
    names: 'CKM_ECDSA or CKM_ECDSA_SHA256',
  },
  rsa: {
    mechanisms: [pkcs11js.CKM_RSA_PKCS, pkcs11js.CKM_SHA256_RSA_PKCS],
    names: 'CKM_RSA_PKCS or CKM_SHA256_RSA_PKCS',
  },
};

/**
 * Why the token cannot make (or then sign with) a key of this type, or undefined when it can as
 * far as it tells: the generation mechanism is listed and allows key-pair generation, the size
 * is in its range, and a signing mechanism the Signer can use is listed. Pure.
 */
export function unsupportedReason(spec: KeySpec, capabilities: TokenCapabilities): string | undefined {
  const { mechanisms, generationInfo } = capabilities;
  if (mechanisms && !mechanisms.has(spec.generation)) {
    return `it does not offer ${spec.generationName}`;
  }
  if (generationInfo) {
    if (generationInfo.flags !== 0 && (generationInfo.flags & pkcs11js.CKF_GENERATE_KEY_PAIR) === 0) {
      return `its ${spec.generationName} does not generate key pairs`;
    }
    const { minKeySize, maxKeySize } = generationInfo;
    // Some modules leave the range at 0..0: no information, the token decides.
    if (maxKeySize > 0 && (spec.bits < minKeySize || spec.bits > maxKeySize)) {
      return `its ${spec.generationName} makes ${spec.keyType === 'ec' ? 'curves of' : 'keys of'} ${minKeySize} to ${maxKeySize} bits, not ${spec.bits}`;
    }
  }
  if (mechanisms) {
    const signing =
      spec.keyType === 'rsa' && capabilities.rsaNeedsHashAndSign
        ? { mechanisms: [pkcs11js.CKM_SHA256_RSA_PKCS], names: 'CKM_SHA256_RSA_PKCS' }
        : SIGNING[spec.keyType];
    if (!signing.mechanisms.some((mechanism) => mechanisms.has(mechanism))) {
      return `it offers no signing mechanism for such a key (${signing.names})`;
    }
  }
  return undefined;
}

/** C_GenerateKeyPair failures that mean "not this key type" rather than "something broke". */
export const UNSUPPORTED_RVS: ReadonlySet<number> = new Set([
  pkcs11js.CKR_MECHANISM_INVALID,
  pkcs11js.CKR_KEY_SIZE_RANGE,
  pkcs11js.CKR_DOMAIN_PARAMS_INVALID,
  // CKR_CURVE_NOT_SUPPORTED (PKCS#11 2.40), which pkcs11js has no constant for.
  0x140,
]);
