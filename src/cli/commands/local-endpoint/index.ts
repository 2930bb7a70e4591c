import type { CommandModule, Options } from 'yargs';

export const localEndpointOptions = {
  template: {
    type: 'string',
    describe: 'CloudFormation template with the trust anchors, profiles and roles to serve',
  },
  parameter: {
    type: 'string',
    array: true,
    describe: 'template parameter Name=value, or Name=@file to read the value from a file (repeatable)',
  },
  config: {
    type: 'string',
    describe: "the endpoint's own resource config file (instead of, or on top of, a template)",
  },
  crl: {
    type: 'string',
    array: true,
    describe: 'CRL file (PEM or DER) to import, as in ImportCrl (repeatable)',
  },
  host: {
    type: 'string',
    default: '127.0.0.1',
    describe: 'address to listen on; anything but loopback exposes the endpoint to the network',
  },
  port: { type: 'number', default: 0, describe: 'port to listen on (0 picks a free one, printed at start)' },
  region: { type: 'string', describe: "region of the ARNs (default: the config file's, else us-east-1)" },
  account: {
    type: 'string',
    describe: "account id of the ARNs (default: the config file's, else 123456789012)",
  },
  tls: {
    type: 'boolean',
    default: false,
    describe: 'serve HTTPS with a certificate made at start; its CA is written to <state-dir>/tls/ca.pem',
  },
  'state-dir': {
    type: 'string',
    describe: 'where S3 objects and TLS files live (default: a new temp dir, printed)',
  },
  'throttle-tps': {
    type: 'number',
    default: 10,
    describe: 'CreateSession calls per second before 429 ThrottlingException, like the AWS quota (0: off)',
  },
  'audit-log': {
    type: 'string',
    describe: 'JSON-lines record of every CreateSession (default: <state-dir>/audit.log)',
  },
} as const satisfies Record<string, Options>;

export const localEndpointCommand: CommandModule = {
  command: 'local-endpoint',
  describe:
    'run an offline IAM Roles Anywhere-compatible endpoint (CreateSession, STS GetCallerIdentity, a minimal S3): a development and test tool, not for production',
  builder: (yargs) =>
    yargs
      .options(localEndpointOptions)
      .example(
        '$0 local-endpoint --template roles-anywhere.yaml --parameter CACertificateBody=@ca.pem',
        'serve the resources of a CloudFormation template on 127.0.0.1',
      )
      .example(
        '$0 local-endpoint --config endpoint.yaml --tls --port 8443 --state-dir ./.local-endpoint',
        'HTTPS on a fixed port, keeping S3 objects between runs',
      )
      .epilogue(
        'A development and test tool: clients (aws_signing_helper, this agent, awscli, boto3, the AWS SDKs) point at ' +
          'the printed URL instead of AWS. Credentials it issues work for its STS and S3 only; S3 does not evaluate IAM ' +
          'policies (any unexpired credential it issued may read and write every bucket). Stops on SIGINT/SIGTERM.',
      ),
  handler: async (argv) => (await import('./handler')).run(argv as never),
};
