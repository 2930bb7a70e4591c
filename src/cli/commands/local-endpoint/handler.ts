import { mkdtempSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AgentError } from '../../../errors';
import { parseParameterArgs } from '../../../local-endpoint/parameters';
import { loadResources } from '../../../local-endpoint/resources';
import { describeResources } from '../../../local-endpoint/resources-view';
import { startLocalEndpoint } from '../../../local-endpoint/server';

interface LocalEndpointArgs {
  template?: string;
  parameter?: string[];
  config?: string;
  crl?: string[];
  host: string;
  port: number;
  region?: string;
  account?: string;
  tls: boolean;
  stateDir?: string;
  throttleTps: number;
  auditLog?: string;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolveSignal(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export async function run(args: LocalEndpointArgs): Promise<void> {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new AgentError('PORT_INVALID', `port ${args.port} is not between 0 and 65535`, {
      hint: 'give --port 0 to pick a free one',
    });
  }
  if (!(args.throttleTps >= 0)) {
    throw new AgentError(
      'THROTTLE_INVALID',
      `--throttle-tps ${args.throttleTps} is not a number of calls per second`,
      {
        hint: 'give --throttle-tps 10 (the AWS quota), or 0 to turn throttling off',
      },
    );
  }
  const resources = loadResources({
    template: args.template,
    config: args.config,
    parameters: parseParameterArgs(args.parameter ?? []),
    crls: args.crl ?? [],
    region: args.region,
    account: args.account,
  });
  for (const warning of resources.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  const stateDir = resolve(args.stateDir ?? mkdtempSync(join(tmpdir(), 'rolesanywhere-local-endpoint-')));
  const auditLog = resolve(args.auditLog ?? join(stateDir, 'audit.log'));
  if (!isLoopback(args.host)) {
    process.stderr.write(
      `warning: listening on ${args.host}, not loopback: anyone who can reach it can use this test endpoint\n`,
    );
  }
  const endpoint = await startLocalEndpoint({
    resources,
    host: args.host,
    port: args.port,
    tls: args.tls,
    stateDir,
    throttleTps: args.throttleTps,
    auditLogPath: auditLog,
    region: resources.region,
  });
  const stopped = untilSignal();
  process.stdout.write(`listening on ${endpoint.url}\n`);
  process.stdout.write(
    `${JSON.stringify(
      {
        endpoint: endpoint.url,
        stateDir,
        auditLog,
        ...(endpoint.caBundlePath ? { caBundle: endpoint.caBundlePath } : {}),
        ...describeResources(resources),
      },
      null,
      2,
    )}\n`,
  );
  process.stderr.write(
    `local endpoint (development and test tool) with state in ${stateDir}; S3 does not evaluate IAM policies. Ctrl-C stops it.\n`,
  );
  await stopped;
  await endpoint.close();
}
