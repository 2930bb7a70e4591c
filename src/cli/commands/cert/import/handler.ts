import { importCertificate } from '../../../../pkcs11/import';
import { parseIdHex } from '../../../../pkcs11/keygen';
import { carryOver, objectUri } from '../../../../pkcs11/object-uri';
import { quietTpmLogs } from '../../../../pkcs11/quirks';
import { openTokenSession } from '../../../../pkcs11/token-session';
import { parsePkcs11Uri } from '../../../../pkcs11/uri';
import { describeCertificate } from '../../../../x509/leaf';
import { loadCertificate, loadCertificates } from '../../../../x509/load';
import type { X509Certificate } from '../../../../x509/x509';
import { assertTokenUri, type TokenArgs } from '../../key/token-options';

interface ImportArgs extends TokenArgs {
  token: string;
  label: string;
  certificate: string;
  chain?: string;
  id?: string;
}

/** Of the key's certificates, the one a new signer picks: valid now, latest expiry. */
function inUse(certificates: readonly X509Certificate[], now: Date): X509Certificate | undefined {
  return certificates
    .filter((cert) => cert.notBefore.getTime() <= now.getTime() && cert.notAfter.getTime() > now.getTime())
    .sort((a, b) => b.notAfter.getTime() - a.notAfter.getTime())[0];
}

export async function run(args: ImportArgs): Promise<void> {
  assertTokenUri(args.token);
  const uri = parsePkcs11Uri(args.token);
  const id = args.id !== undefined ? parseIdHex(args.id) : undefined;
  // Read and parse every file before the token is touched: a bad file writes nothing.
  const certificate = loadCertificate(args.certificate, 'certificate');
  const chain = args.chain !== undefined ? loadCertificates(args.chain, 'chain') : [];
  quietTpmLogs(args.debug === true);
  const token = await openTokenSession({
    uri,
    ...(args.pkcs11Lib ? { module: args.pkcs11Lib } : {}),
    write: true,
  });
  try {
    const result = await importCertificate(token, {
      label: args.label,
      certificate,
      chain,
      ...(id ? { id } : {}),
    });
    const extras = carryOver(uri, token.choice);
    const line = (
      what: string,
      stored: boolean,
      naming: { label: string; id: Uint8Array },
      cert: X509Certificate,
    ) =>
      `${stored ? 'stored' : 'already on the token:'} ${what} ${describeCertificate(cert)}, valid until ${cert.notAfter.toISOString()}\n  ${objectUri(token.info, naming, 'cert', extras)}\n`;
    process.stdout.write(line('certificate', result.leaf.stored, result.leaf, result.leaf.certificate));
    for (const ca of result.chain)
      process.stdout.write(line('CA certificate', ca.stored, ca, ca.certificate));
    const now = new Date();
    const current = inUse(result.certificatesForKey, now);
    if (result.certificatesForKey.length > 1) {
      process.stdout.write(
        `key "${result.key.label}" now has ${result.certificatesForKey.length} certificates; new signers use the valid one expiring last${current ? `: ${describeCertificate(current)}` : ''}\n`,
      );
    }
    if (certificate.notBefore.getTime() > now.getTime()) {
      process.stderr.write(
        `note: the certificate is not valid before ${certificate.notBefore.toISOString()}; until then signers keep using the current one\n`,
      );
    }
  } finally {
    token.close();
  }
}
