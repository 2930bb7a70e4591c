import { basename } from 'node:path';
import { AgentError, isAgentError } from '../errors';
import { Pkcs11Error } from './error';
import type { Pkcs11LibraryInfo } from './module';

/**
 * What a module does differently from the standard, as far as key generation, import and
 * listing care. Measured on tpm2-pkcs11 1.9 (Debian libtpm2-pkcs11-1) over swtpm; see docs/tpm.md.
 */
export interface ModuleQuirks {
  /** tpm2-pkcs11: the TPM behind the module (messages and hints talk about the TPM, not a token). */
  tpm: boolean;
  /**
   * tpm2-pkcs11 maps CKA_VERIFY in a key-generation template to the TPM "decrypt" attribute
   * and CKA_ENCRYPT to "sign", and fails (CKR_GENERAL_ERROR) when they disagree with the key it
   * made: a public template naming CKA_VERIFY=true would give the TPM key decryption (ECDH, RSA
   * decrypt) powers. The public template names neither, and the module marks the public
   * object as it likes (it reports CKA_VERIFY=false, CKA_ENCRYPT=true on a sign-only key).
   */
  omitPublicUsage: boolean;
  /**
   * tpm2-pkcs11 signs with CKM_RSA_PKCS through TPM2_RSA_Decrypt, which a sign-only RSA key
   * refuses ("inconsistent attributes"): such keys sign only through the hash-and-sign
   * mechanisms (CKM_SHA256_RSA_PKCS...), which the Signer prefers whenever the token lists them.
   */
  rsaNeedsHashAndSign: boolean;
}

const TPM2_MANUFACTURER = 'tpm2-software.github.io';

/** Whether `path` looks like the tpm2-pkcs11 module (before it is loaded, e.g. when loading fails). */
export function isTpm2ModulePath(path: string): boolean {
  return /tpm2[_-]pkcs11/i.test(basename(path));
}

export function moduleQuirks(library: Pkcs11LibraryInfo, path = ''): ModuleQuirks {
  const tpm = library.manufacturer === TPM2_MANUFACTURER || isTpm2ModulePath(path);
  return { tpm, omitPublicUsage: tpm, rsaNeedsHashAndSign: tpm };
}

const TPM_UNREACHABLE_HINT =
  'check that the TPM is reachable: /dev/tpmrm0 exists and this user may open it (group tss), or tpm2-abrmd runs; ' +
  'TPM2_PKCS11_TCTI selects the TPM (e.g. device:/dev/tpmrm0, tabrmd:bus_type=system); see docs/tpm.md';

const TPM_STORE_HINT =
  'tpm2-pkcs11 reads its tokens from the store in TPM2_PKCS11_STORE (else /etc/tpm2_pkcs11, then ~/.tpm2_pkcs11): ' +
  'set it to the store made with `tpm2_ptool init` / `tpm2_ptool addtoken`, readable by this user; see docs/tpm.md';

/**
 * An error from loading or selecting a tpm2-pkcs11 token, reworded for a TPM: tpm2-pkcs11
 * fails C_Initialize with CKR_GENERAL_ERROR when it cannot reach the TPM, and finds no token
 * when its store is elsewhere. Other errors and other modules come back unchanged.
 */
export function explainTpmError(error: unknown, modulePath: string): unknown {
  if (!isTpm2ModulePath(modulePath) || !isAgentError(error)) return error;
  if (error instanceof Pkcs11Error && error.fn === 'C_Initialize') {
    return new AgentError(
      'TPM_UNAVAILABLE',
      `the tpm behind pkcs11 module ${modulePath} cannot be reached (${error.rvName} from C_Initialize)`,
      { hint: TPM_UNREACHABLE_HINT, cause: error },
    );
  }
  if (error.code === 'PKCS11_TOKEN_NOT_FOUND') {
    return new AgentError(error.code, error.message, { hint: TPM_STORE_HINT, cause: error });
  }
  return error;
}

/**
 * The TSS (tpm2-tss) writes "WARNING:esys:..." lines to stderr for failures this tool reports in
 * its own words, and for probes expected to fail: quiet them unless the user asked for --debug
 * or set TSS2_LOG already. tpm2-pkcs11 1.9 prints its own "ERROR: ..." lines whatever its
 * TPM2_PKCS11_LOG_LEVEL (0, errors, is the lowest), so those stay; our error and hint come last.
 */
export function quietTpmLogs(debug: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (debug) return;
  env.TSS2_LOG ??= 'all+NONE';
}
