#!/usr/bin/env node
// Signing rate and latency of a key in a TPM 2.0 (swtpm through tpm2-abrmd and tpm2-pkcs11) next
// to the same kind of key in SoftHSM, through the Signer (fromPkcs11), sequential and with a few
// signatures in flight. Keys are made with this project's own keygen, certificates stored with
// its cert import. Prints a markdown table.
//
//   node scripts/bench-tpm.mjs [--seconds 2] [--concurrency 1,4,16] [--keys ec-p256,rsa-2048]
//
// swtpm is a software TPM: a real TPM chip signs far slower; measure on the device (docs/tpm.md).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '1,4,16' },
    keys: { type: 'string', default: 'ec-p256,rsa-2048' },
  },
});
const SECONDS = Number(args.seconds);
const CONCURRENCY = args.concurrency.split(',').map(Number);
const KEY_TYPES = args.keys.split(',');
if (!(SECONDS > 0 && SECONDS <= 30) || CONCURRENCY.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) {
  console.error('error: --seconds must be in (0, 30] and --concurrency whole numbers from 1 to 64');
  process.exit(2);
}
const WARMUP_MS = 300;
const PIN = '1234';
const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

for (const tool of [
  SOFTHSM,
  '/usr/bin/softhsm2-util',
  '/usr/bin/openssl',
  '/usr/bin/swtpm',
  '/usr/sbin/tpm2-abrmd',
]) {
  if (!existsSync(tool)) {
    console.error(
      `error: ${tool} is missing\nhint: run scripts/setup.sh (softhsm2, openssl, swtpm, tpm2-abrmd)`,
    );
    process.exit(1);
  }
}

/** The project's own parts, bundled from the sources with esbuild (dist/ need not be built). */
async function loadParts() {
  const { buildSync } = require('esbuild');
  const outfile = join(root, 'node_modules/.cache/rolesanywhere-agent/bench-tpm.mjs');
  buildSync({
    stdin: {
      contents: [
        "export { fromPkcs11 } from './src/signer/from-pkcs11';",
        "export { openTokenSession } from './src/pkcs11/token-session';",
        "export { generateKeyPair } from './src/pkcs11/keygen';",
        "export { importCertificate } from './src/pkcs11/import';",
        "export { x509 } from './src/x509/x509';",
        "export { startSwtpm, addTpmToken } from './test/helpers/swtpm';",
        "export { createRootCa, issueLeafForPublicKey } from './test/helpers/pki';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['pkcs11js'],
    outfile,
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return import(pathToFileURL(outfile).href);
}

const dir = mkdtempSync(join(tmpdir(), 'ra-bench-tpm-'));
const parts = await loadParts();
let tpm;
const cleanup = async () => {
  await tpm?.stop();
  rmSync(dir, { recursive: true, force: true });
};

try {
  // SoftHSM: a token of our own; SOFTHSM2_CONF must be set before the module loads.
  mkdirSync(join(dir, 'softhsm'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'softhsm')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  execFileSync(
    '/usr/bin/softhsm2-util',
    ['--init-token', '--free', '--label', 'bench', '--pin', PIN, '--so-pin', '5678'],
    {
      stdio: 'ignore',
    },
  );
  // The TPM: swtpm + tpm2-abrmd + a tpm2-pkcs11 store; its variables before tpm2-pkcs11 loads.
  tpm = await parts.startSwtpm(dir);
  parts.addTpmToken(tpm, 'bench', PIN);
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'TPM2_PKCS11_TCTI', 'TPM2_PKCS11_STORE'])
    process.env[name] = tpm.env[name];
  process.env.TSS2_LOG = 'all+NONE';
  const ca = parts.createRootCa(dir, 'Bench CA');

  const backends = [
    { name: 'SoftHSM 2.6', module: SOFTHSM },
    { name: 'TPM 2.0 (swtpm, tpm2-pkcs11)', module: tpm.module },
  ];

  /** A key made in the token by our keygen, its certificate stored by our cert import; returns its URI. */
  async function makeKey(backend, type) {
    const session = await parts.openTokenSession({
      uri: `pkcs11:token=bench?pin-value=${PIN}`,
      module: backend.module,
      write: true,
    });
    try {
      const label = `bench-${type}`;
      const key = parts.generateKeyPair(session, { label, type });
      const spki = key.publicKey.export({ format: 'der', type: 'spki' });
      const issued = parts.issueLeafForPublicKey(dir, ca, spki, { name: `${backend.module.length}-${type}` });
      const certificate = new parts.x509.X509Certificate(issued.certPem);
      await parts.importCertificate(session, { label, certificate });
      return `pkcs11:token=bench;object=${label}?pin-value=${PIN}`;
    } finally {
      session.close();
    }
  }

  const percentile = (sorted, p) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

  /** `concurrency` loops signing for SECONDS after a warm-up; rate and latency percentiles (ms). */
  async function measure(signer, concurrency) {
    const data = randomBytes(200);
    const latencies = [];
    let counting = false;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const start = process.hrtime.bigint();
        await signer.sign(data);
        if (counting) latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    };
    const loops = Array.from({ length: concurrency }, loop);
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    counting = true;
    const begin = process.hrtime.bigint();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    counting = false;
    const elapsed = Number(process.hrtime.bigint() - begin) / 1e9;
    stop = true;
    await Promise.all(loops);
    latencies.sort((a, b) => a - b);
    return {
      rate: latencies.length / elapsed,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    };
  }

  /** fromPkcs11 (token open, login, key and certificate lookup, match check) plus one signature, cold. */
  async function openAndSign(uri, module) {
    const start = process.hrtime.bigint();
    const signer = await parts.fromPkcs11({ uri, module, sessions: 1 });
    await signer.sign(randomBytes(32));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    await signer.close();
    return ms;
  }

  const rows = [];
  const opens = [];
  for (const type of KEY_TYPES) {
    for (const backend of backends) {
      const uri = await makeKey(backend, type);
      const samples = [];
      for (let i = 0; i < 5; i++) samples.push(await openAndSign(uri, backend.module));
      samples.sort((a, b) => a - b);
      opens.push([backend.name, type, samples[2]]);
      for (const concurrency of CONCURRENCY) {
        const sessions = Math.min(concurrency, 4);
        const signer = await parts.fromPkcs11({ uri, module: backend.module, sessions });
        try {
          rows.push([backend.name, type, concurrency, sessions, await measure(signer, concurrency)]);
        } finally {
          await signer.close();
        }
      }
    }
  }

  const fmt = (n, digits = 2) => n.toFixed(digits);
  console.log(`# Signing with a TPM 2.0 (swtpm) beside SoftHSM, through the Signer (${SECONDS} s per row)`);
  console.log(
    `node ${process.version}, ${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown CPU'}; swtpm over TCP on loopback behind tpm2-abrmd\n`,
  );
  console.log('| backend | key | in flight | sessions | signatures/s | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const [backend, type, concurrency, sessions, r] of rows) {
    console.log(
      `| ${backend} | ${type} | ${concurrency} | ${sessions} | ${Math.round(r.rate).toLocaleString('en-US')} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} |`,
    );
  }
  console.log('\n| backend | key | open + login + first signature (median of 5), ms |');
  console.log('|---|---|---:|');
  for (const [backend, type, ms] of opens) console.log(`| ${backend} | ${type} | ${fmt(ms, 1)} |`);
} finally {
  await cleanup();
}
process.exit(0);
