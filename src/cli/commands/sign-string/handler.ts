import type { Digest } from '../../../signer/signer';
import { type KeySourceArgs, signerFromArgs } from '../../options/key-source';

/** What aws_signing_helper users sign to check a key when nothing is piped in. */
export const TEST_STRING = 'AWS Roles Anywhere Credential Helper Signing Test';

interface SignStringArgs extends KeySourceArgs {
  format: 'json' | 'text' | 'bin';
  digest: Digest;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Data comes from stdin when something is piped in, as in aws_signing_helper; a terminal gets the test string. */
async function dataToSign(): Promise<Buffer> {
  if (process.stdin.isTTY) return Buffer.from(TEST_STRING);
  const piped = await readStdin();
  return piped.length > 0 ? piped : Buffer.from(TEST_STRING);
}

export async function run(args: SignStringArgs): Promise<void> {
  const data = await dataToSign();
  const signer = await signerFromArgs(args);
  try {
    const signature = Buffer.from(await signer.sign(data, args.digest));
    if (args.format === 'bin') process.stdout.write(signature);
    else if (args.format === 'text') process.stdout.write(signature.toString('hex'));
    else process.stdout.write(JSON.stringify(signature.toString('hex')));
  } finally {
    await signer.close();
  }
}
