import type { CommandModule } from 'yargs';

export const csrCommand: CommandModule = {
  command: 'csr',
  describe: 'make a PKCS#10 certificate request signed by the key (on a token or in a file) for your CA',
  builder: (yargs) =>
    yargs
      .option('private-key', {
        type: 'string',
        demandOption: true,
        describe: 'the key: pkcs11: URI (type=private) or a PEM/DER key file',
      })
      .option('subject', {
        type: 'string',
        demandOption: true,
        describe:
          'subject, most specific first (RFC 4514): "CN=device-1,OU=DataCenter-Northeast,O=Example Corp"',
      })
      .option('san', {
        type: 'string',
        describe: 'subject alternative names: "dns:NAME,uri:URI,email:ADDR,ip:ADDR"',
      })
      .option('out', { type: 'string', describe: 'write the PEM here (atomically) instead of stdout' })
      .option('pkcs11-lib', { type: 'string', describe: 'PKCS#11 module to load (default: p11-kit-proxy)' })
      .example(
        "$0 csr --private-key 'pkcs11:token=edge;object=device?pin-source=/etc/ra/pin' --subject 'CN=edge-0042,OU=Stores,O=Example' --san dns:edge-0042.example.com --out edge-0042.csr",
        'a CSR for a key in the token',
      ),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
