import { AgentError } from '../../../errors';
import { certificateData } from '../../../x509/certificate-data';
import { loadCertificate } from '../../../x509/load';
import { type KeySourceArgs, signerFromArgs } from '../../options/key-source';

export async function run(args: KeySourceArgs): Promise<void> {
  if (!args.certificate) {
    throw new AgentError('CERT_REQUIRED', 'no certificate given', {
      hint: 'pass --certificate FILE or --certificate pkcs11:URI',
    });
  }
  if (args.certificate.startsWith('pkcs11:')) {
    const signer = await signerFromArgs({ ...args, privateKey: undefined });
    try {
      process.stdout.write(JSON.stringify(certificateData(signer.certificate)));
    } finally {
      await signer.close();
    }
    return;
  }
  process.stdout.write(JSON.stringify(certificateData(loadCertificate(args.certificate))));
}
