#!/usr/bin/env node
// Wall-clock of one whole `credential-process` run with key files (start-up, key parse, sign,
// CreateSession over HTTP to a local endpoint in this process, output) against `node -e 0`,
// measured alternately in one run. The CLI runs as credential_process runs it: the launcher
// executed directly (its startup snapshot when dist/cli.blob is usable); `node bin/...` is the
// fallback without the snapshot. Prints a markdown table for docs/performance.md.
// Usage: node scripts/bench-startup.mjs [--runs 30]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const RUNS = Number(args.runs);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'rolesanywhere-agent');
const { loadResources, startLocalEndpoint } = await import(join(root, 'dist', 'index.js'));

const dir = mkdtempSync(join(tmpdir(), 'ra-bench-startup-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const openssl = (...argv) => execFileSync('openssl', argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key');
openssl(
  'req',
  '-x509',
  '-new',
  '-key',
  'ca.key',
  '-out',
  'ca.crt',
  '-days',
  '2',
  '-subj',
  '/CN=Bench CA',
  '-addext',
  'basicConstraints=critical,CA:true',
  '-addext',
  'keyUsage=critical,keyCertSign',
);
openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'device.key');
writeFileSync(
  join(dir, 'leaf.ext'),
  'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n',
);
openssl('req', '-new', '-key', 'device.key', '-subj', '/OU=Bench/CN=device', '-out', 'device.csr');
openssl(
  'x509',
  '-req',
  '-in',
  'device.csr',
  '-CA',
  'ca.crt',
  '-CAkey',
  'ca.key',
  '-days',
  '2',
  '-out',
  'device.crt',
  '-extfile',
  join(dir, 'leaf.ext'),
);

writeFileSync(
  join(dir, 'endpoint.yaml'),
  'trustAnchors: [{ name: bench, certificates: ca.crt }]\nroles: [{ name: BenchRole }]\nprofiles: [{ name: bench, roles: [BenchRole] }]\n',
);
const resources = loadResources({ config: join(dir, 'endpoint.yaml') });
const endpoint = await startLocalEndpoint({
  resources,
  stateDir: dir,
  throttleTps: 0,
  region: resources.region,
});
const argv = [
  'credential-process',
  '--certificate',
  join(dir, 'device.crt'),
  '--private-key',
  join(dir, 'device.key'),
  '--trust-anchor-arn',
  resources.trustAnchors[0].arn,
  '--profile-arn',
  resources.profiles[0].arn,
  '--role-arn',
  resources.roles[0].arn,
  '--endpoint',
  endpoint.url,
];

// The child runs while this process serves its CreateSession: spawn asynchronously.
function timeRun(file, fileArgs) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, fileArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${file} ${fileArgs[0]} exited ${code}`));
      else resolve({ ms, out });
    });
  });
}

const runs = {
  node: () => timeRun(process.execPath, ['-e', '0']),
  cli: () => timeRun(cli, argv),
  fallback: () => timeRun(process.execPath, [cli, ...argv]),
};
for (const name of ['cli', 'fallback']) {
  const { out } = await runs[name]();
  if (!JSON.parse(out).AccessKeyId) throw new Error(`credential-process (${name}) printed no credentials`);
}
// The launcher's own conditions, roughly: a blob, and no NODE_OPTIONS (see bin/rolesanywhere-agent).
const snapshot = existsSync(join(root, 'dist', 'cli.blob')) && !process.env.NODE_OPTIONS;
const times = { node: [], cli: [], fallback: [] };
for (let i = 0; i < RUNS; i++) {
  for (const name of Object.keys(times)) times[name].push((await runs[name]()).ms);
}
await endpoint.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const nodeMs = median(times.node);
const cliMs = median(times.cli);
const fallbackMs = median(times.fallback);
const how = snapshot ? 'startup snapshot' : 'no snapshot: dist/cli.js';
console.log(`| run (median of ${RUNS}, alternating) | wall-clock ms | ratio to \`node -e 0\` |`);
console.log('|---|---:|---:|');
console.log(`| \`node -e 0\` | ${nodeMs.toFixed(1)} | 1.00 |`);
console.log(
  `| \`bin/rolesanywhere-agent credential-process\`, key files, CreateSession to a local endpoint (${how}) | ${cliMs.toFixed(1)} | ${(cliMs / nodeMs).toFixed(2)} (goal <= 1.5) |`,
);
console.log(
  `| the same as \`node bin/rolesanywhere-agent ...\` (dist/cli.js, no snapshot) | ${fallbackMs.toFixed(1)} | ${(fallbackMs / nodeMs).toFixed(2)} |`,
);
