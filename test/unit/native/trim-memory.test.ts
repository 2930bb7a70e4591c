import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADDON_PATH, ensureNativeBuilt } from './native-support';

// In a child with --expose-gc: the test needs its own C heap, filled and freed in a known way.
const CHILD = `
const native = require(process.argv[1]);
const rss = () => Number(/^VmRSS:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]);
// One chunk in fifty stays: the freed memory is in the middle of the heap, where free() keeps it.
// (In a function: what a script's top level declares stays reachable.)
function fill() {
  const chunks = [];
  for (let i = 0; i < 40000; i++) chunks.push(Buffer.allocUnsafeSlow(2000).fill(1));
  return chunks.filter((_, i) => i % 50 === 0);
}
const kept = fill();
gc(); gc();
// V8 frees the buffers' memory on a background thread after the collection: give it time.
setTimeout(() => {
  const before = rss();
  const released = native.trimMemory();
  const after = rss();
  console.log(JSON.stringify({ before, after, released, kept: kept.length }));
}, 300);
`;

beforeAll(() => {
  ensureNativeBuilt();
});

describe('trimMemory', () => {
  it('gives back to the kernel the freed C heap pages that free() kept', () => {
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', CHILD, ADDON_PATH], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as {
      before: number;
      after: number;
      released: boolean;
    };
    expect(result.released).toBe(true);
    // About 78 MB were freed; most of it must leave the resident set.
    expect(result.before - result.after).toBeGreaterThan(40 * 1024);
  });
});
