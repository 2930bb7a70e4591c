import { webcrypto } from 'node:crypto';
import { formatProcessOutput } from '../../credentials/process-output';
import { buildSessionRequest, resolveSessionInput } from '../../rolesanywhere/session-input';
import { parseSessionResponse } from '../../rolesanywhere/session-response';
import { fromFile } from '../../signer/from-file';
import { signX509Request } from '../../sigv4-x509/sign';
import { x509 } from '../../x509/x509';
import { createCli } from '../create-cli';

const ARNS = {
  trustAnchorArn:
    'arn:aws:rolesanywhere:us-east-1:000000000000:trust-anchor/00000000-0000-0000-0000-000000000000',
  profileArn: 'arn:aws:rolesanywhere:us-east-1:000000000000:profile/00000000-0000-0000-0000-000000000000',
  roleArn: 'arn:aws:iam::000000000000:role/warm-up',
};

class Parsed extends Error {}

/**
 * Runs a credential-process call's steps once, without files or network, while the startup
 * snapshot is built: V8 then keeps their compiled code, and @peculiar/asn1-schema its parsed
 * schemas, in the snapshot instead of making every run build them. Only pure results are left
 * behind: the keys and certificate made here are garbage by the time the snapshot is taken.
 */
export async function warmUp(): Promise<void> {
  // The command line up to its handler: a middleware stops there.
  const argv = ['credential-process', '--certificate', 'c.pem', '--private-key', 'k.pem'];
  const flags = Object.entries(ARNS).flatMap(([name, value]) => [`--${kebab(name)}`, value]);
  try {
    await createCli([...argv, ...flags])
      .middleware(() => {
        throw new Parsed();
      })
      .parseAsync();
  } catch (error) {
    if (!(error instanceof Parsed)) throw error;
  }

  // A key and certificate as files would give them (PEM), read, checked and signed with.
  const ec = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(ec, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=warm-up',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: ec,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const signer = await fromFile({
    certificate: certificate.toString('pem'),
    privateKey: `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`,
  });
  const input = resolveSessionInput(ARNS);
  await signX509Request(buildSessionRequest(input, 'warm-up'), { signer, region: input.region });
  await signer.close();

  const expiration = new Date(Date.now() + 3_600_000).toISOString();
  const body = JSON.stringify({
    credentialSet: [
      { credentials: { accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T', expiration } },
    ],
  });
  formatProcessOutput(parseSessionResponse(body, 'https://warm-up'));
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
