import { createPrivateKey, type KeyObject, type PrivateKeyInput } from 'node:crypto';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AgentError } from '../errors';
import { isPkcs12 } from './pkcs12';

/** PEM labels of the private key encodings Node reads, and what each one is called in messages. */
const PEM_KEY_LABELS: Record<string, string> = {
  'PRIVATE KEY': 'PKCS#8',
  'ENCRYPTED PRIVATE KEY': 'encrypted PKCS#8',
  'EC PRIVATE KEY': 'SEC1 EC',
  'RSA PRIVATE KEY': 'PKCS#1 RSA',
};

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

const CONVERT_HINT =
  'give a PEM or DER private key: PKCS#8, encrypted PKCS#8, SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY"';

/**
 * Parses a private key file's bytes: PEM or DER, PKCS#8 (plain or encrypted with `password`),
 * SEC1 EC or PKCS#1 RSA, including OpenSSL's traditional encrypted PEM. `label` names the
 * input in errors ("private key /etc/device.key"); the password never appears in them.
 */
export function loadPrivateKey(bytes: Uint8Array, password: string | undefined, label: string): KeyObject {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN ')) return loadPem(text, password, label);
  return loadDer(Buffer.from(bytes), password, label);
}

function loadPem(text: string, password: string | undefined, label: string): KeyObject {
  const blocks = [...text.matchAll(PEM_BLOCK)].map((match) => ({ type: match[1] ?? '', pem: match[0] }));
  const block = blocks.find((candidate) => PEM_KEY_LABELS[candidate.type]);
  if (!block) {
    const other = blocks.find((candidate) => candidate.type.endsWith('PRIVATE KEY'));
    if (other) {
      throw new AgentError('KEY_UNSUPPORTED', `${label} is an unsupported "${other.type.toLowerCase()}"`, {
        hint: 'convert it to PKCS#8 with `openssl pkcs8 -topk8` (OpenSSH keys: `ssh-keygen -p -m PKCS8 -f FILE`)',
      });
    }
    const found =
      blocks.length > 0
        ? `found ${blocks.map((candidate) => `"${candidate.type.toLowerCase()}"`).join(', ')}`
        : 'no complete PEM block';
    throw new AgentError('KEY_INVALID', `${label} holds no private key (${found})`, {
      hint: `${CONVERT_HINT}; a certificate goes in --certificate`,
    });
  }
  const encrypted = block.type === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type:\s*4,\s*ENCRYPTED/m.test(block.pem);
  return decode(
    { key: block.pem, format: 'pem' },
    encrypted,
    password,
    label,
    PEM_KEY_LABELS[block.type] ?? block.type,
  );
}

function loadDer(der: Buffer, password: string | undefined, label: string): KeyObject {
  if (isPkcs12(der)) {
    throw new AgentError('KEY_INVALID', `${label} is a PKCS#12 bundle, not a private key`, {
      hint: 'give a PKCS#12 bundle as --certificate and leave out --private-key',
    });
  }
  if (isEncryptedPkcs8(der)) {
    return decode({ key: der, format: 'der', type: 'pkcs8' }, true, password, label, 'encrypted PKCS#8');
  }
  // DER carries no label: try each unencrypted encoding in turn.
  for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // not this encoding
    }
  }
  throw new AgentError('KEY_INVALID', `${label} is not a private key (neither PEM nor a DER key encoding)`, {
    hint: CONVERT_HINT,
  });
}

/** EncryptedPrivateKeyInfo starts with an AlgorithmIdentifier; the plain encodings start with a version INTEGER. */
function isEncryptedPkcs8(der: Buffer): boolean {
  try {
    const info = AsnConvert.parse(der, EncryptedPrivateKeyInfo);
    return info.encryptionAlgorithm.algorithm.length > 0 && info.encryptedData.byteLength > 0;
  } catch {
    return false;
  }
}

function decode(
  input: Omit<PrivateKeyInput, 'passphrase'>,
  encrypted: boolean,
  password: string | undefined,
  label: string,
  encoding: string,
): KeyObject {
  if (encrypted && password === undefined) {
    throw new AgentError(
      'KEY_PASSWORD_REQUIRED',
      `${label} is encrypted (${encoding}) and no password was given`,
      {
        hint: 'give its password with --pkcs8-password',
      },
    );
  }
  try {
    return createPrivateKey(encrypted ? { ...input, passphrase: password } : input);
  } catch (error) {
    if (encrypted) {
      // Any failure after decryption (bad padding, then garbage DER) means the password is wrong
      // or the file is damaged; OpenSSL cannot tell the two apart.
      throw new AgentError(
        'KEY_PASSWORD_INCORRECT',
        `cannot decrypt ${label}: wrong password or damaged file`,
        {
          hint: 'check the password given with --pkcs8-password',
          cause: error,
        },
      );
    }
    throw new AgentError('KEY_INVALID', `${label} is not a valid ${encoding} private key`, {
      hint: CONVERT_HINT,
      cause: error,
    });
  }
}
