import { generateKeyPair, parseIdHex } from '../../../../pkcs11/keygen';
import { carryOver, objectUri } from '../../../../pkcs11/object-uri';
import { quietTpmLogs } from '../../../../pkcs11/quirks';
import { openTokenSession } from '../../../../pkcs11/token-session';
import { parsePkcs11Uri } from '../../../../pkcs11/uri';
import { assertTokenUri, type TokenArgs } from '../token-options';

interface GenerateArgs extends TokenArgs {
  token: string;
  label: string;
  id?: string;
  type: string;
}

export async function run(args: GenerateArgs): Promise<void> {
  assertTokenUri(args.token);
  const uri = parsePkcs11Uri(args.token);
  const id = args.id !== undefined ? parseIdHex(args.id) : undefined;
  quietTpmLogs(args.debug === true);
  const token = await openTokenSession({
    uri,
    ...(args.pkcs11Lib ? { module: args.pkcs11Lib } : {}),
    write: true,
  });
  try {
    const key = generateKeyPair(token, { label: args.label, type: args.type, ...(id ? { id } : {}) });
    process.stderr.write(
      `generated ${key.spec.name} key "${key.label}" (id ${Buffer.from(key.id).toString('hex')}) on ${token.description}\n`,
    );
    process.stdout.write(`${objectUri(token.info, key, 'private', carryOver(uri, token.choice))}\n`);
  } finally {
    token.close();
  }
}
