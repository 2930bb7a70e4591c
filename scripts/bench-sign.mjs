#!/usr/bin/env node
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createBenchToken } from './bench-token.mjs';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1.5' },
    concurrency: { type: 'string', default: '64' },
    sessions: { type: 'string', default: '1,2,4,8' },
    rounds: { type: 'string', default: '3' },
  },
});
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const SESSION_COUNTS = args.sessions.split(',').map(Number);
const ROUNDS = Number(args.rounds);
const WARMUP_MS = 400;
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '1234';
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

// A token of our own, in a temp dir; SOFTHSM2_CONF must be set before the module is loaded.
const dir = mkdtempSync(join(tmpdir(), 'ra-bench-sign-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const { cert } = createBenchToken(dir, PIN);

/** fromPkcs11 from dist/ when it is built, else bundled here from the sources with esbuild. */
async function loadFromPkcs11() {
  const dist = join(root, 'dist/index.js');
  if (existsSync(dist)) {
    const mod = await import(pathToFileURL(dist).href);
    if (typeof mod.fromPkcs11 === 'function') return { fromPkcs11: mod.fromPkcs11, source: 'dist/index.js' };
  }
  const { buildSync } = require('esbuild');
  // Inside the project, so that the external pkcs11js resolves from its node_modules.
  const outfile = join(root, 'node_modules/.cache/rolesanywhere-agent/bench-signer.mjs');
  buildSync({
    entryPoints: [join(root, 'src/signer/from-pkcs11.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['pkcs11js'],
    outfile,
    logLevel: 'error',
    // Bundled CommonJS code may require() node built-ins: give the ESM bundle a require.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  const mod = await import(pathToFileURL(outfile).href);
  return { fromPkcs11: mod.fromPkcs11, source: 'src/ (bundled with esbuild; dist/ not built)' };
}

/** Runs `concurrency` loops of `operation` for `seconds` after a warm-up; returns operations/s. */
async function measure(operation, concurrency = CONCURRENCY) {
  let counting = false;
  let count = 0;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      await operation();
      if (counting) count++;
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  counting = true;
  const start = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  counting = false;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = count / elapsed;
  stop = true;
  await Promise.all(loops);
  return rate;
}

/** Raw pkcs11js: the same work a Signer does at the token (C_SignInit + C_SignAsync, CKM_ECDSA), no more. */
async function rawRate(sessionCount) {
  const pkcs11js = require('pkcs11js');
  const api = new pkcs11js.PKCS11();
  api.load(MODULE);
  try {
    api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (error.code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw error;
  }
  const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.trim() === 'bench');
  const sessions = Array.from({ length: sessionCount }, () =>
    api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION),
  );
  try {
    api.C_Login(sessions[0], pkcs11js.CKU_USER, PIN);
  } catch (error) {
    if (error.code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw error;
  }
  api.C_FindObjectsInit(sessions[0], [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
  const [handle] = api.C_FindObjects(sessions[0], 1);
  api.C_FindObjectsFinal(sessions[0]);
  const idle = [...sessions];
  const waiters = [];
  const digest = createHash('sha256').update(randomBytes(200)).digest();
  const acquire = () => (idle.length > 0 ? idle.pop() : new Promise((resolve) => waiters.push(resolve)));
  const release = (session) => (waiters.length > 0 ? waiters.shift()(session) : idle.push(session));
  const rate = await measure(async () => {
    const session = await acquire();
    try {
      api.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, handle);
      await api.C_SignAsync(session, digest, Buffer.allocUnsafe(64));
    } finally {
      release(session);
    }
  });
  // Closing every session of the process also ends its login: the Signer logs in afresh.
  for (const session of sessions) api.C_CloseSession(session);
  return rate;
}

async function signerRate(fromPkcs11, sessions) {
  const signer = await fromPkcs11({
    uri: `pkcs11:token=bench;id=%01?pin-value=${PIN}`,
    module: MODULE,
    certificate: cert,
    sessions,
  });
  const data = randomBytes(200);
  try {
    return await measure(() => signer.sign(data));
  } finally {
    await signer.close();
  }
}

const { fromPkcs11, source } = await loadFromPkcs11();
// Each configuration runs ROUNDS times, raw and Signer interleaved, and keeps its best rate:
// on a shared 2-core VM the noise is one-sided (steal, other work), the best is the capacity.
const best = new Map();
const keep = (name, count, rate) => {
  const key = `${name}\0${count}`;
  best.set(key, Math.max(best.get(key) ?? 0, rate));
};
const RAW = 'raw pkcs11js (C_SignInit + C_SignAsync, CKM_ECDSA)';
const SIGNER = 'Signer (fromPkcs11, sign: hash + C_SignInit + C_SignAsync + DER)';
for (let round = 0; round < ROUNDS; round++) {
  for (const count of SESSION_COUNTS) {
    keep(RAW, count, await rawRate(count));
    keep(SIGNER, count, await signerRate(fromPkcs11, count));
  }
}
const rows = [RAW, SIGNER].flatMap((name) =>
  SESSION_COUNTS.map((count) => [name, count, best.get(`${name}\0${count}`)]),
);
const raw = SESSION_COUNTS.map((count) => ({ count, rate: best.get(`${RAW}\0${count}`) }));
const signer = SESSION_COUNTS.map((count) => ({ count, rate: best.get(`${SIGNER}\0${count}`) }));
const bestRaw = raw.reduce((a, b) => (b.rate > a.rate ? b : a));
const defaultSigner = signer.find((entry) => entry.count === 4) ?? signer[0];
const bestSigner = signer.reduce((a, b) => (b.rate > a.rate ? b : a));
const ratio = defaultSigner.rate / bestRaw.rate;

const fmt = (rate) => Math.round(rate).toLocaleString('en-US');
console.log(
  `# ECDSA P-256 signing on SoftHSM (${SECONDS} s per measurement, best of ${ROUNDS} rounds, ${CONCURRENCY} concurrent)`,
);
console.log(
  `node ${process.version}, ${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown CPU'}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
);
console.log(`Signer from ${source}\n`);
console.log('| path | sessions | concurrency | signatures/s |');
console.log('|---|---:|---:|---:|');
for (const [name, count, rate] of rows) console.log(`| ${name} | ${count} | ${CONCURRENCY} | ${fmt(rate)} |`);
console.log('');
console.log(`best raw pkcs11js: ${fmt(bestRaw.rate)}/s with ${bestRaw.count} session(s)`);
console.log(
  `Signer (default 4 sessions): ${fmt(defaultSigner.rate)}/s; best Signer: ${fmt(bestSigner.rate)}/s with ${bestSigner.count} session(s)`,
);
console.log(
  `ratio Signer (default) / best raw = ${ratio.toFixed(2)} (goal >= 0.90) ${ratio >= 0.9 ? 'OK' : 'BELOW GOAL'}`,
);
process.exit(0);
