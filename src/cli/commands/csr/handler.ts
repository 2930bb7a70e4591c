import { atomicWriteFile } from '../../../credentials/atomic-write';
import { createCsr } from '../../../csr/create-csr';
import { type CsrKey, csrKeyFrom, csrKeyFromKeyObject } from '../../../csr/csr-key';
import { formatSubject, parseSubject } from '../../../csr/subject';
import { AgentError } from '../../../errors';
import { loadPrivateKey } from '../../../keys/private-key';
import { describeKey, findPrivateKey } from '../../../pkcs11/key';
import { quietTpmLogs } from '../../../pkcs11/quirks';
import { signOnSession } from '../../../pkcs11/session-sign';
import { openTokenSession, type TokenSession } from '../../../pkcs11/token-session';
import { isPkcs11Uri, parsePkcs11Uri } from '../../../pkcs11/uri';
import { readUserFile } from '../../../x509/load';

interface CsrArgs {
  privateKey: string;
  subject: string;
  san?: string;
  out?: string;
  pkcs11Lib?: string;
  debug?: boolean;
}

/** The key a pkcs11: URI names, as a CsrKey signing on the session. */
async function tokenKey(text: string, args: CsrArgs): Promise<{ key: CsrKey; token: TokenSession }> {
  const uri = parsePkcs11Uri(text);
  if (uri.type !== undefined && uri.type !== 'private') {
    throw new AgentError(
      'PKCS11_URI_INVALID',
      `invalid pkcs11 uri: type=${uri.type} cannot name a private key`,
      {
        hint: 'use type=private or leave type out',
      },
    );
  }
  const token = await openTokenSession({ uri, ...(args.pkcs11Lib ? { module: args.pkcs11Lib } : {}) });
  try {
    const found = findPrivateKey(token, uri);
    const description = `${describeKey(found)} on ${token.description}`;
    if (!found.publicKey) {
      throw new AgentError(
        'KEY_PUBLIC_UNREADABLE',
        `the token does not give the public key of ${description}`,
        {
          hint: 'a CSR carries the public key: store it on the token with the same id (pkcs11-tool --write-object pub.der --type pubkey --id ...)',
        },
      );
    }
    return {
      key: csrKeyFrom(found.publicKey, description, (data, digest) =>
        signOnSession(token, found, data, digest),
      ),
      token,
    };
  } catch (error) {
    token.close();
    throw error;
  }
}

export async function run(args: CsrArgs): Promise<void> {
  quietTpmLogs(args.debug === true);
  let token: TokenSession | undefined;
  let key: CsrKey;
  if (isPkcs11Uri(args.privateKey)) {
    ({ key, token } = await tokenKey(args.privateKey, args));
  } else {
    const label = `private key ${args.privateKey}`;
    key = csrKeyFromKeyObject(
      loadPrivateKey(readUserFile(args.privateKey, 'private key'), undefined, label),
      label,
    );
  }
  try {
    const csr = await createCsr({
      key,
      subject: args.subject,
      ...(args.san !== undefined ? { san: args.san } : {}),
    });
    const pem = `${csr.toString('pem').trimEnd()}\n`;
    if (args.out) {
      // A CSR holds nothing secret: readable by others, like the certificate it asks for.
      await atomicWriteFile(args.out, pem, { mode: 0o644 });
      process.stderr.write(
        `wrote the certificate request for "${formatSubject(parseSubject(args.subject))}" to ${args.out}\n`,
      );
    } else {
      process.stdout.write(pem);
    }
  } finally {
    token?.close();
  }
}
