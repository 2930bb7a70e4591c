import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { type CachedProviderOptions, createCachedProvider } from '../credentials/cached-provider';
import { AgentError } from '../errors';
import { type CreateSessionOptions, createSession, parseResourceArn } from '../rolesanywhere';
import type { FromFileOptions } from '../signer/from-file';
import type { FromPkcs11Options } from '../signer/from-pkcs11';
import type { Signer } from '../signer/signer';

/** A key on a PKCS#11 token: fromPkcs11's options (never prompts for a PIN). */
export type RolesAnywherePkcs11Options = Pick<
  FromPkcs11Options,
  'uri' | 'module' | 'pin' | 'certificate' | 'intermediates' | 'sessions'
>;

/** A Signer the caller opened and will close. */
interface SignerSource {
  signer: Signer;
  certificate?: never;
  pkcs11?: never;
}

/** Key files (fromFile): paths or PEM text; a PKCS#12 bundle as `certificate` alone. */
interface FileSource extends FromFileOptions {
  signer?: never;
  pkcs11?: never;
}

interface Pkcs11Source {
  signer?: never;
  certificate?: never;
  pkcs11: RolesAnywherePkcs11Options;
}

export type RolesAnywhereKeySource = SignerSource | FileSource | Pkcs11Source;

export type FromRolesAnywhereOptions = Omit<CreateSessionOptions, 'signer'> &
  RolesAnywhereKeySource & {
    /** Cache tuning (refresh point, backoff); see createCachedProvider. */
    cache?: CachedProviderOptions;
  };

export interface RolesAnywhereCredentialProvider extends AwsCredentialIdentityProvider {
  /** Closes the key this provider opened (not a `signer` passed in); later calls reject. */
  close(): Promise<void>;
}

/**
 * The JS SDK's smithy SDKs treat credentials with less than 5 minutes left as expired and ask
 * again on every request: never hand out such credentials, fetch new ones instead.
 */
const SDK_EXPIRY_WINDOW_MS = 5 * 60_000;

/**
 * An AWS SDK v3 credential provider backed by IAM Roles Anywhere:
 * `new S3Client({ credentials: fromRolesAnywhere({...}) })`. Credentials carry `expiration`, so
 * the SDK asks again when they near expiry; the provider answers from its cache (one
 * CreateSession for any number of concurrent callers, refreshed ahead of expiry). The key is
 * opened on the first call and kept; a failed open is tried again on the next call.
 */
export function fromRolesAnywhere(options: FromRolesAnywhereOptions): RolesAnywhereCredentialProvider {
  const {
    cache,
    signer: given,
    pkcs11,
    certificate,
    privateKey,
    intermediates,
    password,
    ...sessionOptions
  } = options as FromRolesAnywhereOptions &
    Partial<FromFileOptions> & { signer?: Signer; pkcs11?: RolesAnywherePkcs11Options };
  if (!given && !pkcs11 && !certificate) {
    throw new AgentError('KEY_SOURCE_REQUIRED', 'fromRolesAnywhere needs a key: none was given', {
      hint: 'pass `signer`, or `certificate` (with `privateKey`), or `pkcs11: { uri }`',
    });
  }
  // The role's account: SDKs that route by account (account-based endpoints) need it.
  const accountId = parseResourceArn(sessionOptions.roleArn, 'role').accountId;

  let opening: Promise<Signer> | undefined;
  let opened: Signer | undefined;
  const openSigner = (): Promise<Signer> => {
    if (given) return Promise.resolve(given);
    opening ??= (async () => {
      if (pkcs11) {
        const { fromPkcs11 } = await import('../signer/from-pkcs11');
        return fromPkcs11({ ...pkcs11, prompt: false });
      }
      const { fromFile } = await import('../signer/from-file');
      return fromFile({
        certificate: certificate as string,
        ...(privateKey === undefined ? {} : { privateKey }),
        ...(intermediates === undefined ? {} : { intermediates }),
        ...(password === undefined ? {} : { password }),
      });
    })().then(
      (signer) => {
        opened = signer;
        return signer;
      },
      (error: unknown) => {
        opening = undefined; // the token may be plugged in by the next call
        throw error;
      },
    );
    return opening;
  };

  const cached = createCachedProvider(
    async () => createSession({ ...sessionOptions, signer: await openSigner() }),
    { minRemainingMs: SDK_EXPIRY_WINDOW_MS, ...cache },
  );

  const provider = (async (): Promise<AwsCredentialIdentity> => {
    const credentials = await cached();
    return {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: credentials.expiration,
      accountId,
    };
  }) as RolesAnywhereCredentialProvider;

  provider.close = async () => {
    cached.close();
    const signer = opened ?? (opening ? await opening.catch(() => undefined) : undefined);
    opened = undefined;
    opening = undefined;
    if (signer && signer !== given) await signer.close();
  };
  return provider;
}
