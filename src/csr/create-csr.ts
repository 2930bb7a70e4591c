import { AgentError, describeError } from '../errors';
import type { Digest } from '../signer/signer';
import { x509 } from '../x509/x509';
import type { CsrKey } from './csr-key';
import { parseSan, sanExtension } from './san';
import { signerCrypto } from './signer-crypto';
import { parseSubject, subjectName } from './subject';

export interface CreateCsrOptions {
  key: CsrKey;
  /** RFC 4514 subject, most specific first: "CN=device-1,OU=DataCenter-Northeast,O=Example". */
  subject: string;
  /** Subject alternative names: "dns:NAME,uri:URI,email:ADDR,ip:ADDR". */
  san?: string;
  /** Default: SHA384 for P-384 keys, SHA256 otherwise. */
  digest?: Digest;
}

/**
 * A PKCS#10 certificate request signed by `key` (on a token: the key signs, @peculiar/x509
 * builds the ASN.1). Asks for keyUsage digitalSignature, which Roles Anywhere requires of the
 * certificate, and the SANs given. The result is verified before it is returned.
 */
export async function createCsr(
  options: CreateCsrOptions,
): Promise<InstanceType<typeof x509.Pkcs10CertificateRequest>> {
  const name = subjectName(parseSubject(options.subject));
  const san = options.san !== undefined ? parseSan(options.san) : [];
  const digest = options.digest ?? (options.key.curve === 'P-384' ? 'SHA384' : 'SHA256');
  const { crypto, keys, signingAlgorithm } = await signerCrypto(options.key, digest);
  const extensions = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ...(san.length > 0 ? [sanExtension(san)] : []),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name, keys: keys as never, signingAlgorithm: signingAlgorithm as never, extensions },
    crypto as never,
  );
  let verified = false;
  try {
    verified = await csr.verify();
  } catch (error) {
    throw new AgentError(
      'CSR_SIGNATURE_INVALID',
      `the csr signed by ${options.key.description} cannot be verified: ${describeError(error)}`,
      {
        hint: 'the key may not match the public key the token reports; run with --debug',
        cause: error,
      },
    );
  }
  if (!verified) {
    throw new AgentError(
      'CSR_SIGNATURE_INVALID',
      `the csr signed by ${options.key.description} does not verify with its public key`,
      {
        hint: 'the token signed with another key than the public key it reports; check the key with `sign-string`',
      },
    );
  }
  return csr;
}
