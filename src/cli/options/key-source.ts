import type { Options } from 'yargs';
import { AgentError } from '../../errors';
import type { Signer } from '../../signer/signer';

/** The key and certificate flags of aws_signing_helper, with the same names. */
export const keySourceOptions = {
  certificate: {
    type: 'string',
    describe: 'leaf certificate: PEM/DER file, PKCS#12 bundle, or pkcs11: URI',
  },
  'private-key': {
    type: 'string',
    describe: 'private key: PEM/DER file (PKCS#8, SEC1, PKCS#1) or pkcs11: URI',
  },
  intermediates: { type: 'string', describe: 'PEM bundle of intermediate CA certificates' },
  'pkcs11-lib': { type: 'string', describe: 'PKCS#11 module to load (default: p11-kit-proxy)' },
  'reuse-pin': {
    type: 'boolean',
    default: false,
    describe: 'accepted for compatibility: the token login is always reused',
  },
  'pkcs8-password': { type: 'string', describe: 'password of an encrypted PKCS#8 key or PKCS#12 bundle' },
  'tpm-key-password': { type: 'string', describe: 'TPM key password (TPM keys go through tpm2-pkcs11 here)' },
  'cert-selector': {
    type: 'string',
    describe:
      "pick the key's certificate on a PKCS#11 token by subject/issuer/serial, aws_signing_helper syntax: Key=x509Subject,Value=CN=... or file://selector.json",
  },
  'system-store-name': { type: 'string', describe: 'Windows certificate store name (not on this platform)' },
  'use-latest-expiring-certificate': {
    type: 'boolean',
    default: false,
    describe: 'when several certificates match --cert-selector, use the one expiring last',
  },
} as const satisfies Record<string, Options>;

export interface KeySourceArgs {
  certificate?: string;
  privateKey?: string;
  intermediates?: string;
  pkcs11Lib?: string;
  pkcs8Password?: string;
  tpmKeyPassword?: string | false;
  certSelector?: string;
  systemStoreName?: string;
  useLatestExpiringCertificate?: boolean;
}

const isPkcs11Uri = (value: string | undefined): value is string => !!value && value.startsWith('pkcs11:');

/** The Signer the flags name: a key on a PKCS#11 token, or key files. Heavy modules load only here. */
export async function signerFromArgs(args: KeySourceArgs): Promise<Signer> {
  const pkcs11Key = isPkcs11Uri(args.privateKey) || (!args.privateKey && isPkcs11Uri(args.certificate));
  // An empty selector is no selector, as in the Go helper.
  const certSelector = args.certSelector === '' ? undefined : args.certSelector;
  if (args.systemStoreName !== undefined || (certSelector !== undefined && !pkcs11Key && !args.certificate)) {
    throw new AgentError(
      'PLATFORM_UNSUPPORTED',
      '--cert-selector and --system-store-name select from Windows/macOS certificate stores, which this platform does not have',
      {
        hint: 'use --certificate and --private-key with files or pkcs11: URIs; with --private-key pkcs11:..., --cert-selector picks among the certificates the token holds for the key',
      },
    );
  }
  if (certSelector !== undefined && args.certificate && (!pkcs11Key || args.privateKey)) {
    throw new AgentError(
      'CERT_SELECTOR_CONFLICT',
      `--cert-selector cannot be combined with --certificate ${args.certificate}: it picks among the certificates a PKCS#11 token holds for the key (the Windows/macOS certificate stores it reads in aws_signing_helper are not on this platform)`,
      {
        hint: 'leave out --certificate and give the key as --private-key pkcs11:..., or leave out --cert-selector',
      },
    );
  }
  if (typeof args.tpmKeyPassword === 'string') {
    throw new AgentError(
      'PLATFORM_UNSUPPORTED',
      '--tpm-key-password applies to TPM key files, which this tool uses through tpm2-pkcs11',
      {
        hint: 'give the TPM key as a pkcs11: URI of the tpm2-pkcs11 token (see docs/tpm.md)',
      },
    );
  }
  if (pkcs11Key) {
    const [{ fromPkcs11 }, { parseCertSelector, createCertificateFilter }] = await Promise.all([
      import('../../signer/from-pkcs11'),
      import('./cert-selector'),
    ]);
    const selector = certSelector === undefined ? undefined : parseCertSelector(certSelector);
    return fromPkcs11({
      uri: args.privateKey ?? (args.certificate as string),
      ...(args.privateKey && args.certificate ? { certificate: args.certificate } : {}),
      ...(args.intermediates ? { intermediates: args.intermediates } : {}),
      ...(args.pkcs11Lib ? { module: args.pkcs11Lib } : {}),
      ...(selector
        ? {
            certificateFilter: createCertificateFilter(selector, {
              useLatestExpiring: args.useLatestExpiringCertificate === true,
            }),
          }
        : {}),
    });
  }
  if (!args.certificate) {
    throw new AgentError('CERT_REQUIRED', 'no certificate given', {
      hint: 'pass --certificate FILE (or a PKCS#12 bundle, or a pkcs11: URI)',
    });
  }
  const { fromFile } = await import('../../signer/from-file');
  return fromFile({
    certificate: args.certificate,
    ...(args.privateKey ? { privateKey: args.privateKey } : {}),
    ...(args.intermediates ? { intermediates: args.intermediates } : {}),
    ...(args.pkcs8Password !== undefined ? { password: args.pkcs8Password } : {}),
  });
}
