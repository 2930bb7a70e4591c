import { generateKeyPairSync, sign } from 'node:crypto';
import { toPem } from '../../x509/pem';

/** A key and a self-signed certificate for it, as key files give them (PEM). */
export interface WarmUpIdentity {
  certificatePem: string;
  privateKeyPem: string;
}

/**
 * A throwaway EC P-256 key and an end-entity certificate for it, made with node:crypto and a few
 * DER bytes: the warm-up reads them the way a credential_process call reads key files, without
 * compiling a certificate generator into the startup snapshot. Trusted by nothing.
 */
export function warmUpIdentity(): WarmUpIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = der(0x30, der(0x06, hex('2a8648ce3d040302')));
  const name = der(0x30, der(0x31, der(0x30, der(0x06, hex('550403')), der(0x0c, Buffer.from('warm-up')))));
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, hex('02'))),
    der(0x02, hex('01')),
    ecdsaWithSha256,
    name,
    der(0x30, der(0x17, Buffer.from('250101000000Z')), der(0x17, Buffer.from('491231235959Z'))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(
      0xa3,
      der(
        0x30,
        // basicConstraints CA:FALSE and keyUsage digitalSignature, both critical.
        der(0x30, der(0x06, hex('551d13')), der(0x01, hex('ff')), der(0x04, der(0x30))),
        der(0x30, der(0x06, hex('551d0f')), der(0x01, hex('ff')), der(0x04, der(0x03, hex('0780')))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const certificate = der(0x30, tbs, ecdsaWithSha256, der(0x03, Buffer.from([0]), signature));
  return {
    certificatePem: toPem('CERTIFICATE', certificate),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const length =
    body.length < 0x80
      ? [body.length]
      : body.length < 0x100
        ? [0x81, body.length]
        : [0x82, body.length >> 8, body.length & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

function hex(text: string): Buffer {
  return Buffer.from(text, 'hex');
}
