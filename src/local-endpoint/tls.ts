import { randomBytes, webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { toPem } from '../x509/pem';
import { x509 } from '../x509/x509';

export interface LocalTls {
  /** PEM: server certificate then the CA that issued it. */
  cert: string;
  /** PEM PKCS#8 private key of the server certificate. */
  key: string;
  /** The CA certificate file to give clients (AWS_CA_BUNDLE, --ca-bundle, NODE_EXTRA_CA_CERTS). */
  caBundlePath: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** Positive serial, 16 random bytes as hex. */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/**
 * A throw-away CA and a server certificate it issues for localhost, 127.0.0.1, ::1 (and `host`),
 * made at every start. A separate CA, rather than one self-signed server certificate, is what
 * strict verifiers (OpenSSL's X509_STRICT in newer Pythons) accept as a trust anchor.
 * Files go to <dir>: ca.pem (for clients), server.pem, server.key (0600).
 */
export async function createLocalTls(dir: string, host: string, now = new Date()): Promise<LocalTls> {
  const { subtle } = webcrypto;
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + 365 * 24 * 3600_000);
  const caKeys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=rolesanywhere-agent local endpoint CA (development only)',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const names = new Set(['localhost', '127.0.0.1', '::1', host.replace(/^\[|\]$/g, '')]);
  const altNames = [...names]
    .filter((name) => name !== '' && name !== '0.0.0.0' && name !== '::')
    .map((name) => ({ type: isIP(name) ? ('ip' as const) : ('dns' as const), value: name }));
  const serverKeys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(altNames),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
    ],
  });
  const caPem = ca.toString('pem');
  const cert = `${server.toString('pem')}\n${caPem}\n`;
  const key = toPem('PRIVATE KEY', await subtle.exportKey('pkcs8', serverKeys.privateKey));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caBundlePath = join(dir, 'ca.pem');
  await writeFile(caBundlePath, `${caPem}\n`);
  await writeFile(join(dir, 'server.pem'), cert);
  await writeFile(join(dir, 'server.key'), key, { mode: 0o600 });
  return { cert, key, caBundlePath };
}
