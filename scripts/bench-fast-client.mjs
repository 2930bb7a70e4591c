// Wall-clock of the fast credential_process client (native-bindings/build/ra-credential-process)
// against an agent-like HTTP server on a Unix socket, next to `node -e 0`, the floor of any
// credential_process written in Node. Goal: ratio <= 0.25.
//
//   node scripts/bench-fast-client.mjs [--runs N] [--json] [--check]
//
// --runs: measured runs of each command (default 100, at most 2000), interleaved so that load
// from other work on the machine hits both alike. --check: exit 1 when the ratio exceeds 0.25.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const GOAL = 0.25;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const client = join(root, 'native-bindings', 'build', 'ra-credential-process');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 2000) {
  console.error('error: --runs must be a whole number from 1 to 2000');
  process.exit(2);
}

execFileSync('bash', [join(root, 'scripts', 'build-native.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });

// What the agent answers for a cached profile: the credential_process JSON, with Content-Length.
const body = Buffer.from(
  JSON.stringify({
    Version: 1,
    AccessKeyId: 'ASIABENCHMARKEXAMPLE',
    SecretAccessKey: 'x'.repeat(40),
    SessionToken: 'y'.repeat(800),
    Expiration: '2030-01-01T00:00:00Z',
  }),
);
const dir = mkdtempSync(join(tmpdir(), 'ra-bench-fast-client-'));
const socket = join(dir, 'agent.sock');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
await new Promise((resolve) => server.listen(socket, resolve));

// One run, timed from spawn to exit; stdout kept to check the client printed the body.
function timed(file, args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`${file} exited ${code}`));
      else resolve({ ms, stdout: Buffer.concat(out) });
    });
  });
}

const clientArgs = ['--socket', socket, '--profile', 'bench'];
const nodeArgs = ['-e', '0'];
const fast = [];
const node = [];
try {
  for (let i = 0; i < 3; i++) {
    await timed(client, clientArgs);
    await timed(process.execPath, nodeArgs);
  }
  for (let i = 0; i < runs; i++) {
    const run = await timed(client, clientArgs);
    if (!run.stdout.equals(body)) throw new Error('the client did not print the body byte for byte');
    fast.push(run.ms);
    node.push((await timed(process.execPath, nodeArgs)).ms);
  }
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const total = samples.reduce((a, b) => a + b, 0);
  const round = (x) => Math.round(x * 100) / 100;
  return {
    totalMs: round(total),
    meanMs: round(total / samples.length),
    medianMs: round(at(0.5)),
    p95Ms: round(at(0.95)),
  };
}

const fastStats = stats(fast);
const nodeStats = stats(node);
const ratio = Math.round((fastStats.totalMs / nodeStats.totalMs) * 1000) / 1000;
const result = { runs, fastClient: fastStats, nodeE0: nodeStats, ratio, goal: GOAL, met: ratio <= GOAL };

if (values.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const line = (name, s) =>
    `${name.padEnd(24)} total ${s.totalMs.toFixed(1)} ms  mean ${s.meanMs.toFixed(2)}  median ${s.medianMs.toFixed(2)}  p95 ${s.p95Ms.toFixed(2)} ms`;
  console.log(`${runs} runs each, interleaved`);
  console.log(line('ra-credential-process', fastStats));
  console.log(line('node -e 0', nodeStats));
  console.log(`ratio ${ratio} (goal <= ${GOAL}: ${result.met ? 'met' : 'NOT met'})`);
}
if (values.check && !result.met) process.exit(1);
