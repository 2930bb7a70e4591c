import { type KeyObject, randomBytes, verify } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AgentError, isAgentError } from '../errors';
import type { NativePkcs11Module } from '../native';
import type { Digest, EcCurve, KeyType } from '../signer/signer';
import { call, Pkcs11Error, toPkcs11Error } from './error';
import {
  certificatesByUri,
  certificatesForKey,
  certificatesOnToken,
  describeKey,
  findPrivateKey,
  type PrivateKeyObject,
} from './key';
import { login } from './login';
import { ecdsaSignatureToDer, type SigningPlan, signingPlan } from './mechanism';
import { loadPkcs11Module, type Pkcs11Module } from './module';
import { resolveModulePath } from './module-path';
import { nativeSigningFor } from './native-sign';
import { resolvePin } from './pin';
import { curveOfKey, fieldBytes, spkiPublicKey } from './public-key';
import { isTokenLost } from './rv';
import { DEFAULT_SESSIONS, type OpenToken, openToken, type PinProvider, tokenUnavailable } from './token';
import { describeToken, selectToken } from './token-select';
import { type Pkcs11Uri, parsePkcs11Uri } from './uri';

export interface OpenPkcs11KeyOptions {
  /** pkcs11: URI of the private key. */
  uri: string;
  /** Module path (--pkcs11-lib), used when the URI has no module-path. */
  module?: string;
  /** User PIN, used when the URI has neither pin-value nor pin-source. */
  pin?: string;
  /** Sessions in the token's pool (shared by every key on the token). */
  sessions?: number;
  /** Ask for the PIN on the terminal when no other source gives one (default: when on a TTY). */
  prompt?: boolean;
  env?: NodeJS.ProcessEnv;
  /**
   * Sign through the native addon when it is built (default true): C_SignInit then runs off the
   * event loop too. False keeps every call on pkcs11js.
   */
  nativeSigning?: boolean;
}

/** A private key on a token, ready to sign; the PKCS#11 side of a Signer. */
export interface Pkcs11Key {
  readonly keyType: KeyType;
  readonly curve?: EcCurve;
  readonly modulusBits?: number;
  /** `key "label" (id ..) on token "label" (serial ..)`. */
  readonly description: string;
  /** X.509 certificates (DER) stored with the key: same id, else same label. */
  certificatesForKey(): Uint8Array[];
  /** Every X.509 certificate (DER) on the token, for chain building. */
  allCertificates(): Uint8Array[];
  /**
   * Throws KEY_CERT_MISMATCH unless this key is the private half of `spki` (public data
   * compared when the token gives it, else one signature verified with `spki`).
   */
  assertMatches(spki: Uint8Array, certificateDescription: string): Promise<void>;
  /** Hashes `data` with `digest` and signs: DER ECDSA-Sig-Value or RSA PKCS#1 v1.5. */
  sign(data: Uint8Array, digest?: Digest): Promise<Uint8Array>;
  /** Gives the token back (sessions close and the login ends with the last key). */
  close(): Promise<void>;
}

function invalidType(uri: Pkcs11Uri, expected: 'private' | 'cert', what: string): AgentError {
  return new AgentError('PKCS11_URI_INVALID', `invalid pkcs11 uri: type=${uri.type} cannot name ${what}`, {
    hint: `use type=${expected} or leave type out`,
  });
}

function mismatch(key: PrivateKeyObject, token: OpenToken, certificate: string, detail: string): AgentError {
  return new AgentError(
    'KEY_CERT_MISMATCH',
    `${describeKey(key)} on ${token.description} does not match the certificate ${certificate}: ${detail}`,
    {
      hint: 'give the certificate issued for this key (--certificate), or the URI of the key the certificate was issued for',
    },
  );
}

function signatureSize(key: PrivateKeyObject): number {
  if (key.keyType === 'ec' && key.curve) return 2 * fieldBytes(key.curve);
  return key.modulusBits ? Math.ceil(key.modulusBits / 8) : 1024;
}

/** Opens the private key a pkcs11: URI names, logged in and with its token's session pool. */
export async function openPkcs11Key(options: OpenPkcs11KeyOptions): Promise<Pkcs11Key> {
  const uri = parsePkcs11Uri(options.uri);
  if (uri.type !== undefined && uri.type !== 'private') throw invalidType(uri, 'private', 'a private key');
  const module = loadPkcs11Module(resolveModulePath(uri, options.module).path);
  const getPin: PinProvider = (tokenDescription) =>
    resolvePin(
      {
        uri,
        ...(options.pin !== undefined ? { pin: options.pin } : {}),
        ...(options.env ? { env: options.env } : {}),
        ...(options.prompt !== undefined ? { prompt: options.prompt } : {}),
      },
      tokenDescription,
    );
  const token = await openToken(module, uri, getPin, options.sessions ?? DEFAULT_SESSIONS);
  try {
    const native = options.nativeSigning === false ? undefined : nativeSigningFor(module.path);
    return await createKey(token, uri, getPin, native);
  } catch (error) {
    await token.release();
    throw error;
  }
}

async function createKey(
  token: OpenToken,
  uri: Pkcs11Uri,
  getPin: PinProvider,
  native: NativePkcs11Module | undefined,
): Promise<Pkcs11Key> {
  const { api } = token.module;
  // The token epoch each key object was found in: its handle means nothing in another.
  const foundIn = new WeakMap<PrivateKeyObject, number>();
  const find = () => {
    const epoch = token.epoch;
    const found = findPrivateKey(token, uri);
    foundIn.set(found, epoch);
    return found;
  };
  let key = find();
  let keyEpoch = token.epoch;
  let pin = key.alwaysAuthenticate ? await token.contextPin(getPin) : undefined;
  let expected: { publicKey: KeyObject; certificate: string } | undefined;
  let refreshing: Promise<void> | undefined;
  let closed = false;
  const description = () => `${describeKey(key)} on ${token.description}`;

  const contextFor = (target: PrivateKeyObject, plan: SigningPlan) =>
    `cannot sign with ${describeKey(target)} on ${token.description} (${plan.name})`;
  // Plans depend on the slot's mechanisms: kept per digest until a reconnect.
  const plans = new Map<Digest, SigningPlan & { params: { mechanism: number } }>();
  let plansEpoch = token.epoch;

  function planFor(target: PrivateKeyObject, digest: Digest) {
    if (plansEpoch !== token.epoch) {
      plans.clear();
      plansEpoch = token.epoch;
    }
    let plan = plans.get(digest);
    if (!plan) {
      const chosen = signingPlan(target.keyType, digest, token.mechanisms);
      plan = { ...chosen, params: { mechanism: chosen.mechanism } };
      plans.set(digest, plan);
    }
    return plan;
  }

  // The hot path below runs on the event loop for every signature: no string building, no
  // extra promises unless something fails.

  /** One signature on a pooled session, no retry. Raw r||s for EC. */
  function signOnce(
    target: PrivateKeyObject,
    plan: ReturnType<typeof planFor>,
    input: Buffer,
  ): Promise<Buffer> {
    return token.withSession((session) => {
      // A key that wants a context login between C_SignInit and C_Sign stays on pkcs11js.
      if (native && !target.alwaysAuthenticate) {
        return native
          .sign(session, plan.mechanism, target.handle, input, signatureSize(target))
          .catch((error: unknown) => {
            throw toPkcs11Error(error, (error as { fn?: string }).fn ?? 'C_Sign', contextFor(target, plan));
          });
      }
      try {
        api.C_SignInit(session, plan.params, target.handle);
      } catch (error) {
        throw toPkcs11Error(error, 'C_SignInit', contextFor(target, plan));
      }
      if (target.alwaysAuthenticate && pin !== undefined)
        login(api, session, token.info, token.identity, pin, true);
      return api
        .C_SignAsync(session, input, Buffer.allocUnsafe(signatureSize(target)))
        .catch((error: unknown) => {
          throw toPkcs11Error(error, 'C_Sign', contextFor(target, plan));
        });
    }, foundIn.get(target) ?? -1);
  }

  function signWith(target: PrivateKeyObject, data: Uint8Array, digest: Digest): Promise<Uint8Array> {
    let plan: ReturnType<typeof planFor>;
    try {
      plan = planFor(target, digest);
    } catch (error) {
      return Promise.reject(error);
    }
    return signOnce(target, plan, plan.input(data)).then((raw) =>
      target.keyType === 'ec' ? ecdsaSignatureToDer(raw) : new Uint8Array(raw),
    );
  }

  async function check(target: PrivateKeyObject, publicKey: KeyObject, certificate: string): Promise<void> {
    const certType = publicKey.asymmetricKeyType;
    if (certType !== target.keyType) {
      throw mismatch(
        target,
        token,
        certificate,
        `the certificate has an ${String(certType).toUpperCase()} key, the token key is ${target.keyType.toUpperCase()}`,
      );
    }
    if (target.keyType === 'ec' && curveOfKey(publicKey) !== target.curve) {
      throw mismatch(
        target,
        token,
        certificate,
        `the certificate key is on ${curveOfKey(publicKey) ?? 'another curve'}, the token key on ${target.curve}`,
      );
    }
    if (target.publicKey) {
      if (!target.publicKey.equals(publicKey))
        throw mismatch(target, token, certificate, 'the public keys differ');
      return;
    }
    const challenge = randomBytes(32);
    const signature = await signWith(target, challenge, 'SHA256');
    if (!verify('sha256', challenge, { key: publicKey, dsaEncoding: 'der' }, signature)) {
      throw mismatch(target, token, certificate, 'a test signature does not verify with the certificate key');
    }
  }

  /** After a reconnect object handles are void: find the key again, and check it is still the same key. */
  async function reload(): Promise<void> {
    const epoch = token.epoch;
    const found = find();
    if (expected) await check(found, expected.publicKey, expected.certificate);
    if (found.alwaysAuthenticate) pin = await token.contextPin(getPin);
    key = found;
    keyEpoch = epoch;
  }

  function refresh(): Promise<void> {
    if (token.epoch === keyEpoch) return Promise.resolve();
    // Cleared in a later microtask: reload() may fail synchronously.
    refreshing ??= reload().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  async function attempt(data: Uint8Array, digest: Digest): Promise<Uint8Array> {
    await refresh();
    return signWith(key, data, digest);
  }

  /** After a lost token: one reconnect (shared with concurrent calls), one more try. */
  async function recover(
    error: unknown,
    seen: number,
    data: Uint8Array,
    digest: Digest,
  ): Promise<Uint8Array> {
    if (!(error instanceof Pkcs11Error) || !isTokenLost(error.rv)) throw error;
    try {
      await token.reconnect(seen, error.rv);
      return await attempt(data, digest);
    } catch (second) {
      if (isAgentError(second) && (second.code.startsWith('PIN_') || second.code === 'KEY_CERT_MISMATCH'))
        throw second;
      throw tokenUnavailable(token.description, second);
    }
  }

  function sign(data: Uint8Array, digest: Digest = 'SHA256'): Promise<Uint8Array> {
    if (closed) {
      return Promise.reject(
        new AgentError('SIGNER_CLOSED', `the signer for ${description()} is closed`, {
          hint: 'create a new signer',
        }),
      );
    }
    const seen = token.epoch;
    const first = seen === keyEpoch ? signWith(key, data, digest) : attempt(data, digest);
    return first.catch((error: unknown) => recover(error, seen, data, digest));
  }

  return {
    keyType: key.keyType,
    ...(key.curve ? { curve: key.curve } : {}),
    ...(key.modulusBits ? { modulusBits: key.modulusBits } : {}),
    get description() {
      return description();
    },
    certificatesForKey: () => certificatesForKey(token, key),
    allCertificates: () => certificatesOnToken(token),
    async assertMatches(spki, certificate) {
      const publicKey = spkiPublicKey(spki);
      await check(key, publicKey, certificate);
      expected = { publicKey, certificate };
    },
    sign,
    async close() {
      if (closed) return;
      closed = true;
      await token.release();
    },
  };
}

/**
 * The certificates a pkcs11: URI (type=cert or no type) names, read without logging in (a
 * session of this process shares a login already made on the same token).
 */
export function readPkcs11Certificates(text: string, options: { module?: string } = {}): Uint8Array[] {
  const uri = parsePkcs11Uri(text);
  if (uri.type !== undefined && uri.type !== 'cert') throw invalidType(uri, 'cert', 'a certificate');
  const module: Pkcs11Module = loadPkcs11Module(resolveModulePath(uri, options.module).path);
  const info = selectToken(module, uri);
  const description = describeToken(info);
  const session = call('C_OpenSession', `cannot open a session on ${description}`, () =>
    module.api.C_OpenSession(info.slot, pkcs11js.CKF_SERIAL_SESSION),
  );
  try {
    const found = certificatesByUri({ module, mainSession: session, description }, uri);
    if (found.length === 0) {
      throw new AgentError(
        'PKCS11_CERT_NOT_FOUND',
        `no certificate matches the certificate uri on ${description}`,
        {
          hint: 'check object=/id= of the certificate URI (pkcs11-tool --module <lib> --list-objects --type cert)',
        },
      );
    }
    return found;
  } finally {
    try {
      module.api.C_CloseSession(session);
    } catch {
      // Gone already.
    }
  }
}
