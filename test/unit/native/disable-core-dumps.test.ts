import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADDON_PATH, asNobody, CAN_SWITCH_USER, ensureNativeBuilt, NOBODY } from './native-support';

// disableCoreDumps changes the whole process, so it runs in a child that the test inspects
// from outside through /proc. The child starts with a non-zero core limit (prlimit), and, as
// root, as nobody: then "same uid" is a real other user, and root's override does not hide the effect.
const CHILD = `
const native = require(process.argv[1]);
const rl = require('node:readline').createInterface({ input: process.stdin });
console.log('ready');
rl.on('line', (line) => {
  if (line === 'disable') { native.disableCoreDumps(); console.log('disabled'); }
  if (line === 'again') { native.disableCoreDumps(); console.log('disabled'); }
  if (line === 'exit') process.exit(0);
});
`;

let child: ChildProcessWithoutNullStreams | undefined;

beforeAll(() => {
  ensureNativeBuilt();
});

afterEach(() => {
  child?.kill();
  child = undefined;
});

function startChild(): { child: ChildProcessWithoutNullStreams; next: () => Promise<string> } {
  const node = [process.execPath, '-e', CHILD, ADDON_PATH];
  const argv = [
    '/usr/bin/prlimit',
    '--core=1048576:unlimited',
    '--',
    ...(CAN_SWITCH_USER ? asNobody(node) : node),
  ];
  const [file, ...args] = argv as [string, ...string[]];
  const started = spawn(file, args, { cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: started.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`child ended early: ${started.stderr.read()?.toString() ?? ''}`);
    return value as string;
  };
  return { child: started, next };
}

function coreLimit(pid: number): string {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max core file size'));
  return (line ?? '').replace(/\s+/g, ' ').trim();
}

// What a process of the child's own uid (not root) sees of /proc/<pid>/environ.
function sameUidReadsEnviron(pid: number): { ok: boolean; stderr: string } {
  const cat = ['/bin/cat', `/proc/${pid}/environ`];
  const [file, ...args] = (CAN_SWITCH_USER ? asNobody(cat) : cat) as [string, ...string[]];
  const result = spawnSync(file, args, { encoding: 'utf8' });
  return { ok: result.status === 0, stderr: result.stderr };
}

describe('disableCoreDumps', () => {
  it('sets the core limit to 0 (soft and hard) and makes /proc/<pid> private to root', async () => {
    const started = startChild();
    child = started.child;
    expect(await started.next()).toBe('ready');
    const pid = child.pid as number;
    const uid = CAN_SWITCH_USER ? NOBODY : process.getuid?.();

    // The process measured is the child, under the uid meant.
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`\\nUid:\\t${uid}\\t`));

    // Before: core files allowed, /proc entries owned by the process's uid and readable by it.
    expect(coreLimit(pid)).toBe('Max core file size 1048576 unlimited bytes');
    expect(statSync(`/proc/${pid}/environ`).uid).toBe(uid);
    const before = sameUidReadsEnviron(pid);
    if (uid !== 0) expect(before).toEqual({ ok: true, stderr: '' });

    child.stdin.write('disable\n');
    expect(await started.next()).toBe('disabled');

    // After: RLIMIT_CORE 0/0 (no core file), and not dumpable: the kernel makes /proc/<pid>/*
    // root-owned, so same-uid processes can no longer read environ (nor mem, nor ptrace).
    expect(coreLimit(pid)).toBe('Max core file size 0 0 bytes');
    expect(statSync(`/proc/${pid}/environ`).uid).toBe(0);
    if (uid !== 0) {
      const after = sameUidReadsEnviron(pid);
      expect(after.ok).toBe(false);
      expect(after.stderr).toContain('Permission denied');
    }

    // Idempotent: a second call succeeds (lowering to 0 again is allowed).
    child.stdin.write('again\n');
    expect(await started.next()).toBe('disabled');
    child.stdin.write('exit\n');
  });
});
