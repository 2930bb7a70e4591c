import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { requireTool, run } from './tools';

export const TPM2_PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so';
const SWTPM = '/usr/bin/swtpm';
const TPM2_ABRMD = '/usr/sbin/tpm2-abrmd';
const DBUS_DAEMON = '/usr/bin/dbus-daemon';
const TPM2_PTOOL = '/usr/bin/tpm2_ptool';
const TPM2_GETCAP = '/usr/bin/tpm2_getcap';
/** The TSS's client side of tpm2-abrmd, loaded by TCTI name "tabrmd" (not a dependency of tpm2-abrmd). */
const TABRMD_TCTI = '/usr/lib/x86_64-linux-gnu/libtss2-tcti-tabrmd.so.0';

/**
 * A software TPM 2.0 of the test's own: swtpm in socket mode on two free loopback ports, state
 * in a temp dir, behind tpm2-abrmd on a private D-Bus (a resource manager is needed, as
 * /dev/tpmrm0 is on a real host: without one, tpm2_ptool runs out of TPM object slots),
 * and a tpm2-pkcs11 store in the temp dir.
 */
export interface Swtpm {
  dir: string;
  /** swtpm's TPM command port; the control port is port + 1. */
  port: number;
  /** TCTI of tpm2-tools and tpm2-pkcs11: tpm2-abrmd on the private session bus. */
  tcti: string;
  /** TPM2_PKCS11_STORE: the tpm2-pkcs11 SQLite store. */
  store: string;
  module: string;
  /** The variables tpm2-pkcs11, tpm2-tools and tpm2_ptool need (process env plus ours). */
  env: NodeJS.ProcessEnv;
  /** Stops swtpm alone (tpm2-abrmd stays): the TPM becomes unreachable. */
  stopTpm(): Promise<void>;
  /** Stops everything this helper started. */
  stop(): Promise<void>;
}

/**
 * Why swtpm cannot run here, or undefined when it can: the one reason TPM tests skip.
 * (A missing tpm2-abrmd or tpm2_ptool is a set-up error and fails the tests instead.)
 */
export function swtpmUnavailable(): string | undefined {
  if (!existsSync(SWTPM)) return `${SWTPM} is not installed (Debian package swtpm)`;
  const probe = spawnSync(SWTPM, ['socket', '--tpm2', '--print-capabilities'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.error) return `swtpm cannot be started: ${probe.error.message}`;
  if (probe.status !== 0)
    return `swtpm --print-capabilities exited with ${probe.status}: ${probe.stderr.trim()}`;
  return undefined;
}

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/** A free loopback port P whose neighbour P + 1 is free as well (swtpm's control port). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (port !== undefined && port < 65535 && (await listenOnce(port + 1)) !== undefined) return port;
  }
  throw new Error('no two adjacent free loopback ports for swtpm');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  child: ChildProcess,
  log: () => string,
) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${log()}`);
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`${what} not ready within 15 s: ${log()}`);
}

function started(file: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, log: () => output.slice(-2000) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts swtpm, a private D-Bus and tpm2-abrmd for it, and makes an empty tpm2-pkcs11 store. */
export async function startSwtpm(dir: string): Promise<Swtpm> {
  requireTool(TPM2_ABRMD, 'tpm2-abrmd');
  requireTool(TABRMD_TCTI, 'libtss2-tcti-tabrmd0');
  requireTool(DBUS_DAEMON, 'dbus-daemon');
  requireTool(TPM2_PTOOL, 'libtpm2-pkcs11-tools');
  requireTool(TPM2_GETCAP, 'tpm2-tools');
  requireTool(TPM2_PKCS11_MODULE, 'libtpm2-pkcs11-1');
  const state = join(dir, 'tpm-state');
  const store = join(dir, 'tpm2-pkcs11-store');
  mkdirSync(state, { recursive: true });
  mkdirSync(store, { recursive: true });
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  let swtpm: ReturnType<typeof started> | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !swtpm; attempt++) {
    port = await freePortPair();
    const candidate = started(
      SWTPM,
      [
        'socket',
        '--tpm2',
        '--server',
        `type=tcp,port=${port},bindaddr=127.0.0.1`,
        '--ctrl',
        `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
        '--tpmstate',
        `dir=${state}`,
        '--flags',
        'not-need-init,startup-clear',
      ],
      process.env,
    );
    try {
      await waitFor('swtpm', () => canConnect(port), candidate.child, candidate.log);
      swtpm = candidate;
    } catch (error) {
      // Another process took the port between the probe and swtpm's bind: try other ports.
      await stopChild(candidate.child);
      if (attempt === 4) throw error;
    }
  }
  if (!swtpm) throw new Error('swtpm did not start');
  children.push(swtpm.child);

  // A private session bus for tpm2-abrmd: no system bus, no root needed.
  const bus = join(dir, 'bus');
  const busConfig = join(dir, 'dbus.conf');
  writeFileSync(
    busConfig,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${bus}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const dbus = started(DBUS_DAEMON, [`--config-file=${busConfig}`, '--nofork'], process.env);
  children.push(dbus.child);
  await waitFor('dbus-daemon', () => existsSync(bus), dbus.child, dbus.log);

  const tcti = 'tabrmd:bus_type=session';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${bus}`,
    TPM2TOOLS_TCTI: tcti,
    TPM2_PKCS11_TCTI: tcti,
    TPM2_PKCS11_STORE: store,
  };
  const abrmd = started(
    TPM2_ABRMD,
    [
      '--session',
      `--tcti=swtpm:host=127.0.0.1,port=${port}`,
      '--flush-all',
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ],
    env,
  );
  children.push(abrmd.child);
  await waitFor(
    'tpm2-abrmd',
    () => spawnSync(TPM2_GETCAP, ['properties-fixed'], { env, stdio: 'ignore', timeout: 5_000 }).status === 0,
    abrmd.child,
    abrmd.log,
  );
  run(TPM2_PTOOL, ['init', '--path', store], { env });

  const swtpmChild = swtpm.child;
  return {
    dir,
    port,
    tcti,
    store,
    module: TPM2_PKCS11_MODULE,
    env,
    stopTpm: () => stopChild(swtpmChild),
    async stop() {
      for (const child of [...children].reverse()) await stopChild(child);
      process.removeListener('exit', killAll);
    },
  };
}

/** Adds a tpm2-pkcs11 token (tpm2_ptool addtoken under primary object 1) with a user and SO PIN. */
export function addTpmToken(tpm: Swtpm, label: string, pin = '1234', soPin = '5678'): void {
  run(
    TPM2_PTOOL,
    ['addtoken', '--pid=1', `--label=${label}`, `--userpin=${pin}`, `--sopin=${soPin}`, '--path', tpm.store],
    {
      env: tpm.env,
    },
  );
}

/** Makes this process's tpm2-pkcs11 (loaded in-process by fromPkcs11) use this TPM: call before it loads. */
export function useTpmInProcess(tpm: Swtpm): void {
  for (const name of [
    'DBUS_SESSION_BUS_ADDRESS',
    'TPM2TOOLS_TCTI',
    'TPM2_PKCS11_TCTI',
    'TPM2_PKCS11_STORE',
  ]) {
    process.env[name] = tpm.env[name];
  }
}
