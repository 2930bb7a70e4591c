import { formatProcessOutput } from '../../credentials/process-output';
import { requestTarget, resolveTimeouts } from '../../rolesanywhere/http-transport';
import { resolveRetryOptions } from '../../rolesanywhere/retry';
import { buildSessionRequest, resolveSessionInput } from '../../rolesanywhere/session-input';
import { parseSessionResponse } from '../../rolesanywhere/session-response';
import { signX509Request } from '../../sigv4-x509/sign';
import { createCli } from '../create-cli';
import { signerFromArgs } from '../options/key-source';
import { sessionOptionsFromArgs } from '../options/session';
import { warmUpIdentity } from './warm-up-identity';
import { warmUpSocket } from './warm-up-socket';

const ARNS = {
  trustAnchorArn:
    'arn:aws:rolesanywhere:us-east-1:000000000000:trust-anchor/00000000-0000-0000-0000-000000000000',
  profileArn: 'arn:aws:rolesanywhere:us-east-1:000000000000:profile/00000000-0000-0000-0000-000000000000',
  roleArn: 'arn:aws:iam::000000000000:role/warm-up',
};

class Parsed extends Error {}

/**
 * Runs a credential-process call's steps once, without files or endpoint, while the startup
 * snapshot is built: V8 then keeps their compiled code in the snapshot instead of making every
 * run compile it. Only pure results are left behind: the key, certificate and sockets used here
 * are garbage or closed by the time the snapshot is taken. Every function compiled here is
 * deserialized on every run, used or not: warm what a run uses, nothing more.
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

  // Key files as PEM: read, checked and signed with (@peculiar/x509 is not involved).
  const identity = warmUpIdentity();
  const signer = await signerFromArgs({
    certificate: identity.certificatePem,
    privateKey: identity.privateKeyPem,
  });
  const options = sessionOptionsFromArgs(
    { ...ARNS, sessionDuration: 3600, verifySsl: true, withProxy: false },
    signer,
  );
  const input = resolveSessionInput(options);
  resolveRetryOptions(options.retries);
  resolveTimeouts(options.timeouts);
  const signed = await signX509Request(buildSessionRequest(input, 'warm-up'), {
    signer,
    region: input.region,
  });
  requestTarget(signed);
  await signer.close();

  // The build's loopback peer (scripts/build-snapshot.mjs): node:net's client path, compiled.
  await warmUpSocket(Number(process.env.RA_SNAPSHOT_WARM_UP_PORT) || undefined);

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
