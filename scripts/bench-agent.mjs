#!/usr/bin/env node
// The signing agent under load, on a SoftHSM token (ECDSA P-256):
//   1. raw signing over the socket at 64 concurrent clients vs raw pkcs11js in this process on the
//      same token (ratio; goal >= 0.8), with p50/p99;
//   2. cached credentials at 64 concurrent clients (requests/s, p50/p99);
//   3. 1000 concurrent requests on expired credentials: CreateSession calls and token signatures;
//   4. the agent's RSS after 100k and after 1M requests (bounded by --max-seconds).
// Prints a markdown table for docs/performance.md.
// Usage: node scripts/bench-agent.mjs [--seconds 3] [--rounds 5] [--concurrency 64] [--sessions 4]
//          [--requests 1000000] [--max-seconds 240] [--only sign|credentials]
// BENCH_AGENT_NODE_ARGS adds node flags to the agent process (e.g. --cpu-prof, --trace-gc),
// BENCH_AGENT_STDOUT=1 shows the agent's standard output (where --trace-gc writes), and
// BENCH_AGENT_CONFIG adds top-level lines to its config (e.g. "signingThreads: 2").
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createBenchToken } from './bench-token.mjs';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    requests: { type: 'string', default: '1000000' },
    'max-seconds': { type: 'string', default: '240' },
    sessions: { type: 'string', default: '4' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    'raw-child': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const TOTAL_REQUESTS = Number(args.requests);
const MAX_SECONDS = Number(args['max-seconds']);
const RAW_SESSIONS = Number(args.sessions);
const ROUNDS = Number(args.rounds);
const WARMUP_MS = 500;
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '1234';
const ARNS = {
  trustAnchorArn:
    'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-0000-4000-8000-000000000001',
  profileArn: 'arn:aws:rolesanywhere:us-east-1:123456789012:profile/0a1b2c3d-0000-4000-8000-000000000002',
  roleArn: 'arn:aws:iam::123456789012:role/bench-role',
};
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

for (const tool of [MODULE, '/usr/bin/softhsm2-util', '/usr/bin/openssl']) {
  if (!existsSync(tool)) {
    console.error(
      `error: ${tool} is missing\nhint: run scripts/setup.sh (Debian packages softhsm2, openssl)`,
    );
    process.exit(1);
  }
}
if (!existsSync(join(root, 'native-bindings/build/Release/ra_native.node'))) {
  console.error(
    'error: the native addon is not built\nhint: run scripts/build-native.sh (or scripts/setup.sh)',
  );
  process.exit(1);
}

// Raw signing runs in a fresh process each round (this script with --raw-child, on the token the
// parent made): in one process its rate is sometimes stuck near 16k/s for every round, in a
// fresh one near 27k/s, and the baseline must be raw pkcs11js at its best.
if (args['raw-child']) {
  console.log(JSON.stringify(await rawSigning()));
  process.exit(0);
}

// --- a SoftHSM token of our own, with an EC P-256 key and its certificate -----------------------
const dir = mkdtempSync(join(tmpdir(), 'ra-bench-agent-'));
const children = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const { cert } = createBenchToken(dir, PIN);
const pinFile = join(dir, 'pin');
writeFileSync(pinFile, PIN, { mode: 0o600 });

// --- a CreateSession endpoint on loopback that counts calls -------------------------------------
const endpointState = { calls: 0, lifetimeMs: 3600_000, now: () => Date.now() };
const endpoint = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    endpointState.calls += 1;
    const expiration = new Date(endpointState.now() + endpointState.lifetimeMs)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        credentialSet: [
          {
            credentials: {
              accessKeyId: 'ASIABENCHEXAMPLE0001',
              secretAccessKey: 'bench/secret/key/not/real/0000000000000000',
              sessionToken: 'bench-session-token-not-real',
              expiration,
            },
            roleArn: ARNS.roleArn,
          },
        ],
      }),
    );
  });
});
await new Promise((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
const endpointUrl = `http://127.0.0.1:${endpoint.address().port}`;

// --- the agent: the built CLI (spawned), and its library bundled for the in-process phase -------
const cache = join(root, 'node_modules/.cache/rolesanywhere-agent-bench');
mkdirSync(cache, { recursive: true });
const { buildSync } = require('esbuild');
const banner = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};
const libraryEntry = join(cache, 'library-entry.ts');
writeFileSync(
  libraryEntry,
  `export { startAgent } from '${root}/src/agent/agent';
export { parseAgentConfig } from '${root}/src/agent/config';
export { loadNative } from '${root}/src/native';
export { createLogger } from '${root}/src/log';
`,
);
for (const [entry, out] of [[libraryEntry, join(cache, 'library.mjs')]]) {
  buildSync({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['pkcs11js'],
    banner,
    logLevel: 'error',
  });
}

// The load generator (scripts/bench-load.c), compiled for this run.
const loadGenerator = join(cache, 'bench-load');
execFileSync('cc', ['-std=c11', '-O2', '-o', loadGenerator, join(root, 'scripts', 'bench-load.c')]);

function configText(socketGroup = '') {
  return `${socketGroup}${process.env.BENCH_AGENT_CONFIG ? `${process.env.BENCH_AGENT_CONFIG}\n` : ''}logLevel: warn
profiles:
  hsm:
    pkcs11: "pkcs11:token=bench;id=%01;type=private?module-path=${MODULE}&pin-source=${pinFile}"
    certificate: ${cert}
    trustAnchorArn: ${ARNS.trustAnchorArn}
    profileArn: ${ARNS.profileArn}
    roleArn: ${ARNS.roleArn}
    endpoint: ${endpointUrl}
    allow: { uids: [0] }
    sign: { uids: [0] }
`;
}

// --- a minimal keep-alive HTTP/1.1 client (cheap, so the client steals little CPU) ---------------
function createClient(socketPath) {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffer = Buffer.alloc(0);
    let pending;
    const parse = () => {
      if (!pending) return;
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const status = Number(head.slice(9, 12));
      const body = buffer.subarray(end + 4, end + 4 + length);
      buffer = buffer.subarray(end + 4 + length);
      const done = pending;
      pending = undefined;
      done.resolve({ status, body });
    };
    socket.on('data', (data) => {
      buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data]);
      parse();
    });
    socket.on('error', (error) => (pending ? pending.reject(error) : reject(error)));
    socket.on('close', () => pending?.reject(new Error('connection closed')));
    socket.on('connect', () =>
      resolve({
        send: (text) =>
          new Promise((res, rej) => {
            pending = { resolve: res, reject: rej };
            socket.write(text);
          }),
        close: () => socket.destroy(),
      }),
    );
  });
}

const signBody = JSON.stringify({ digest: 'SHA256', data: randomBytes(200).toString('base64') });
const SIGN_REQUEST = `POST /v1/profiles/hsm/sign HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\nContent-Length: ${signBody.length}\r\n\r\n${signBody}`;
const CREDENTIALS_REQUEST = 'GET /v1/profiles/hsm/credentials HTTP/1.1\r\nHost: agent\r\n\r\n';

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * `concurrency` closed loops of `operation` for SECONDS after a warm-up: operations/s and the
 * p50/p99 latency (ms) of the counted operations.
 */
async function measure(operation, concurrency = CONCURRENCY) {
  let counting = false;
  let stop = false;
  const latencies = [];
  const loop = async (index) => {
    while (!stop) {
      const started = process.hrtime.bigint();
      await operation(index);
      if (counting) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  const loops = Array.from({ length: concurrency }, (_, index) => loop(index));
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  counting = true;
  const start = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  counting = false;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const count = latencies.length;
  stop = true;
  await Promise.all(loops);
  latencies.sort((a, b) => a - b);
  return { rate: count / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

// --- 1. raw pkcs11js in this process, on the same token -------------------------------------------
async function rawSigning() {
  const pkcs11js = require('pkcs11js');
  const api = new pkcs11js.PKCS11();
  api.load(MODULE);
  try {
    api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (error.code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw error;
  }
  const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.trim() === 'bench');
  const sessions = Array.from({ length: RAW_SESSIONS }, () =>
    api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION),
  );
  api.C_Login(sessions[0], pkcs11js.CKU_USER, PIN);
  api.C_FindObjectsInit(sessions[0], [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
  const [handle] = api.C_FindObjects(sessions[0], 1);
  api.C_FindObjectsFinal(sessions[0]);
  const idle = [...sessions];
  const waiters = [];
  const acquire = () => (idle.length > 0 ? idle.pop() : new Promise((resolve) => waiters.push(resolve)));
  const release = (session) => (waiters.length > 0 ? waiters.shift()(session) : idle.push(session));
  const data = randomBytes(200);
  try {
    // The work the agent does per request at the token: hash, C_SignInit, C_SignAsync (CKM_ECDSA).
    return await measure(async () => {
      const digest = createHash('sha256').update(data).digest();
      const session = await acquire();
      try {
        api.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, handle);
        await api.C_SignAsync(session, digest, Buffer.allocUnsafe(64));
      } finally {
        release(session);
      }
    });
  } finally {
    for (const session of sessions) api.C_CloseSession(session);
    api.C_Finalize();
  }
}

function rawSigningInChild() {
  const run = spawnSync(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--raw-child',
      '--seconds',
      String(SECONDS),
      '--concurrency',
      String(CONCURRENCY),
      '--sessions',
      String(RAW_SESSIONS),
    ],
    { encoding: 'utf8', env: process.env, timeout: (SECONDS + 30) * 1000 },
  );
  if (run.status !== 0) throw new Error(`raw signing exited ${run.status ?? run.signal}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

// --- the agent as its own process ------------------------------------------------------------------
/**
 * Where the agent's resident memory is (KiB): anonymous (heaps) and file-backed (code) from
 * smaps_rollup, the V8 heap and memory held outside it (Buffers) from its /v1/metrics.
 */
async function agentMemory(client, pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0);
  const metrics = (await client.send('GET /v1/metrics HTTP/1.1\r\nHost: agent\r\n\r\n')).body.toString();
  const gauge = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN) / 1024;
  return {
    rss: field('Rss'),
    anonymous: field('Anonymous'),
    file: field('Rss') - field('Anonymous'),
    heap: gauge('nodejs_heap_size_total_bytes'),
    external: gauge('nodejs_external_memory_bytes'),
  };
}

/** One line on the agent's memory: where the resident memory is. */
function describeMemory(memory) {
  const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
  return `${mib(memory.rss)}: ${mib(memory.anonymous)} anonymous (V8 heap ${mib(memory.heap)}, Buffers ${mib(memory.external)}), ${mib(memory.file)} file-backed`;
}

function rssKib(pid) {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

async function waitFor(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not ready in ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startAgentProcess() {
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, configText());
  const socket = join(dir, 'run', 'agent.sock');
  // Started as users start it: the launcher, which adds the agent's V8 flags; it finds node on
  // PATH, this one first. BENCH_AGENT_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof",
  // which NODE_OPTIONS may not carry) runs node on the launcher's script directly instead: a
  // profile then lacks the launcher's flags.
  const extra = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const launcher = join(root, 'bin', 'rolesanywhere-agent');
  const agentArgs = ['agent', '--config', config, '--socket', socket, '--audit-log', join(dir, 'audit.log')];
  const child = spawn(
    extra.length > 0 ? process.execPath : launcher,
    extra.length > 0 ? [...extra, launcher, ...agentArgs] : agentArgs,
    {
      stdio: ['ignore', process.env.BENCH_AGENT_STDOUT ? 'inherit' : 'ignore', 'pipe'],
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  await waitFor(
    async () => {
      if (!existsSync(socket)) return false;
      try {
        const client = await createClient(socket);
        const reply = await client.send('GET /v1/health HTTP/1.1\r\nHost: agent\r\n\r\n');
        client.close();
        return reply.status === 200;
      } catch {
        return false;
      }
    },
    20_000,
    `agent (stderr: ${stderr})`,
  );
  return { child, socket };
}

/**
 * CONCURRENCY keep-alive connections sending `request` in closed loops, from bench-load (C, so the
 * load takes little of the CPU the agent shares with it): requests/s, p50/p99 and its own CPU.
 */
function overSocket(socket, request) {
  const requestFile = join(dir, 'request.http');
  writeFileSync(requestFile, request);
  const run = spawnSync(
    loadGenerator,
    [
      '--socket',
      socket,
      '--request-file',
      requestFile,
      '--connections',
      String(CONCURRENCY),
      '--seconds',
      String(SECONDS),
      '--warmup',
      String(WARMUP_MS / 1000),
    ],
    { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 },
  );
  if (run.status !== 0) throw new Error(`bench-load exited ${run.status ?? run.signal}: ${run.stderr}`);
  const result = JSON.parse(run.stdout);
  return { rate: result.requests / result.seconds, p50: result.p50, p99: result.p99, clientCpu: result.cpu };
}

/** 1000 concurrent requests (one connection each) on expired credentials, in-process with a clock we move. */
async function expiredBurst() {
  const lib = await import(pathToFileURL(join(cache, 'library.mjs')).href);
  const clock = { t: Date.now() };
  endpointState.now = () => clock.t;
  const configPath = join(dir, 'inprocess.yaml');
  writeFileSync(configPath, configText('limits: { maxConnections: 4096 }\n'));
  const socket = join(dir, 'run2', 'agent.sock');
  const agent = await lib.startAgent({
    config: lib.parseAgentConfig(readFileSync(configPath, 'utf8'), configPath),
    socket,
    auditLog: join(dir, 'audit2.log'),
    logger: lib.createLogger({ level: 'silent' }),
    native: lib.loadNative({ from: root }),
    now: () => new Date(clock.t),
  });
  try {
    await waitFor(
      () => agent.profiles.get('hsm')?.health().credentials.valid === true,
      20_000,
      'first credentials',
    );
    const runtime = agent.profiles.get('hsm');
    const callsBefore = endpointState.calls;
    const signaturesBefore = runtime.counters.signSession;
    clock.t += 2 * 3600_000; // everything cached is now expired
    const started = process.hrtime.bigint();
    const replies = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const client = await createClient(socket);
        try {
          return (await client.send(CREDENTIALS_REQUEST)).status;
        } finally {
          client.close();
        }
      }),
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return {
      ok: replies.filter((status) => status === 200).length,
      createSessions: endpointState.calls - callsBefore,
      signatures: runtime.counters.signSession - signaturesBefore,
      ms,
    };
  } finally {
    await agent.close();
    endpointState.now = () => Date.now();
  }
}

/** Many cached-credential requests at 64 concurrent; the agent's RSS at 100k and at the end. */
async function soak(agentProcess) {
  const { child, socket } = agentProcess;
  const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => createClient(socket)));
  let sent = 0;
  let done = 0;
  let rssAt100k;
  const rssStart = rssKib(child.pid);
  const started = Date.now();
  const deadline = started + MAX_SECONDS * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (sent < TOTAL_REQUESTS && Date.now() < deadline) {
        sent += 1;
        const reply = await client.send(CREDENTIALS_REQUEST);
        if (reply.status !== 200) throw new Error(`agent answered ${reply.status}`);
        done += 1;
        if (done === 100_000) rssAt100k = rssKib(child.pid);
      }
    }),
  );
  const memory = await agentMemory(clients[0], child.pid);
  for (const client of clients) client.close();
  return {
    memory,
    done,
    seconds: (Date.now() - started) / 1000,
    rssStart,
    rssAt100k,
    rssEnd: memory.rss,
  };
}

// --- run ------------------------------------------------------------------------------------------
const cpuOf = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime in ms (100 Hz ticks)
};
const agentProcess = await startAgentProcess();
// Raw and agent alternate for ROUNDS rounds and each keeps its best: on a shared 2-core VM the
// noise (steal, other work) only ever slows a run down, so the best is the capacity.
let raw;
let viaAgent;
let cpuShare;
const roundRates = { raw: [], agent: [] };
for (let round = 0; round < (args.only === 'credentials' ? 0 : ROUNDS); round++) {
  const r = rawSigningInChild();
  roundRates.raw.push(r.rate);
  if (!raw || r.rate > raw.rate) raw = r;
  const agentCpu0 = cpuOf(agentProcess.child.pid);
  const wall0 = Date.now();
  const a = overSocket(agentProcess.socket, SIGN_REQUEST);
  roundRates.agent.push(a.rate);
  if (!viaAgent || a.rate > viaAgent.rate) {
    viaAgent = a;
    cpuShare = {
      agent: (cpuOf(agentProcess.child.pid) - agentCpu0) / (Date.now() - wall0),
      client: a.clientCpu,
    };
  }
}
const thousands = (rates) => rates.map((rate) => (rate / 1000).toFixed(1)).join(' ');
if (args.only === 'sign') {
  // Quick iterations on the signing path alone.
  console.log(`rounds (k/s): raw ${thousands(roundRates.raw)}; agent ${thousands(roundRates.agent)}`);
  const client = await createClient(agentProcess.socket);
  console.log(`agent after signing: ${describeMemory(await agentMemory(client, agentProcess.child.pid))}`);
  client.close();
  console.log(
    `cpu during the best agent sign run: agent ${cpuShare.agent.toFixed(2)} cores, client ${cpuShare.client.toFixed(2)} cores`,
  );
  console.log(
    `raw ${Math.round(raw.rate)}/s p99 ${raw.p99.toFixed(2)} ms; agent ${Math.round(viaAgent.rate)}/s p99 ${viaAgent.p99.toFixed(2)} ms; ratio ${(viaAgent.rate / raw.rate).toFixed(2)}`,
  );
  agentProcess.child.kill('SIGTERM');
  await new Promise((resolve) => agentProcess.child.on('exit', resolve));
  process.exit(0);
}
// Cached credentials: the best of 3 runs, for the same reason as signing.
let credentials;
for (let round = 0; round < 3; round++) {
  const c = overSocket(agentProcess.socket, CREDENTIALS_REQUEST);
  if (!credentials || c.rate > credentials.rate) credentials = c;
}
if (args.only === 'credentials') {
  console.log(
    `credentials ${Math.round(credentials.rate)}/s p50 ${credentials.p50.toFixed(2)} ms p99 ${credentials.p99.toFixed(2)} ms; client ${credentials.clientCpu.toFixed(2)} cores; agent RSS ${(rssKib(agentProcess.child.pid) / 1024).toFixed(1)} MiB`,
  );
  agentProcess.child.kill('SIGTERM');
  await new Promise((resolve) => agentProcess.child.on('exit', resolve));
  process.exit(0);
}
const soakResult = await soak(agentProcess);
agentProcess.child.kill('SIGTERM');
const exitCode = await new Promise((resolve) => agentProcess.child.on('exit', resolve));
const burst = await expiredBurst();
endpoint.close();

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ms = (n) => `${n.toFixed(2)} ms`;
const mib = (kib) => (kib === undefined ? 'not reached' : `${(kib / 1024).toFixed(1)} MiB`);
const ratio = viaAgent.rate / raw.rate;
console.log(
  `# rolesanywhere-agent under load (SoftHSM ECDSA P-256, ${CONCURRENCY} concurrent clients, ${SECONDS} s per measurement, signing: best of ${ROUNDS} rounds)`,
);
console.log(
  `node ${process.version}, ${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown CPU'}; client and agent share the machine\n`,
);
console.log('| measurement | result | p50 | p99 |');
console.log('|---|---:|---:|---:|');
console.log(
  `| raw pkcs11js in-process (${RAW_SESSIONS} sessions, hash + C_SignInit + C_SignAsync) | ${fmt(raw.rate)} signatures/s | ${ms(raw.p50)} | ${ms(raw.p99)} |`,
);
console.log(
  `| POST /v1/profiles/hsm/sign over the socket | ${fmt(viaAgent.rate)} signatures/s | ${ms(viaAgent.p50)} | ${ms(viaAgent.p99)} |`,
);
console.log(
  `| ratio agent / raw (goal >= 0.80) | ${ratio.toFixed(2)} ${ratio >= 0.8 ? 'OK' : 'BELOW GOAL'} (CPU in the agent run: agent ${cpuShare.agent.toFixed(2)} cores, client ${cpuShare.client.toFixed(2)}) | | |`,
);
console.log(
  `| signing rounds (thousands/s, in order) | raw ${thousands(roundRates.raw)}; agent ${thousands(roundRates.agent)} | | |`,
);
console.log(
  `| GET /v1/profiles/hsm/credentials (cached, best of 3 runs) | ${fmt(credentials.rate)} requests/s | ${ms(credentials.p50)} | ${ms(credentials.p99)} |`,
);
console.log(
  `| 1000 concurrent requests on expired credentials | ${burst.ok}/1000 answered 200 in ${fmt(burst.ms)} ms; ${burst.createSessions} CreateSession, ${burst.signatures} token signature(s) | | |`,
);
console.log(
  `| agent RSS at start of the soak / after 100k / after ${fmt(soakResult.done)} requests | ${mib(soakResult.rssStart)} / ${mib(soakResult.rssAt100k)} / ${mib(soakResult.rssEnd)} | | |`,
);
console.log(`| … at the end: where it is | ${describeMemory(soakResult.memory)} | | |`);
console.log(
  `| soak duration | ${soakResult.seconds.toFixed(1)} s (${fmt(soakResult.done / soakResult.seconds)} requests/s${soakResult.done < TOTAL_REQUESTS ? `; stopped at --max-seconds ${MAX_SECONDS}` : ''}) | | |`,
);
console.log(`| agent exit code after SIGTERM | ${exitCode} | | |`);
process.exit(0);
