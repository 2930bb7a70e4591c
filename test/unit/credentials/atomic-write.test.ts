import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { atomicWriteFile } from '../../../src/credentials/atomic-write';
import { makeTempDir } from '../../helpers/tmp';
import { runBundled, SRC } from './run-bundled';

const temps: Array<{ remove: () => void }> = [];
function tempDir(): string {
  const dir = makeTempDir('ra-atomic-');
  temps.push(dir);
  return dir.path;
}
afterEach(() => {
  for (const dir of temps.splice(0)) dir.remove();
});

const modeOf = (path: string) => statSync(path).mode & 0o777;
const tempFilesIn = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

describe('atomicWriteFile', () => {
  it('creates the file 0600 and missing parent directories 0700', async () => {
    const root = tempDir();
    const path = join(root, 'a', 'b', 'credentials');
    await atomicWriteFile(path, 'hello\n');
    expect(readFileSync(path, 'utf8')).toBe('hello\n');
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(join(root, 'a'))).toBe(0o700);
    expect(modeOf(join(root, 'a', 'b'))).toBe(0o700);
    expect(tempFilesIn(join(root, 'a', 'b'))).toEqual([]);
  });

  it('replaces a 0644 file with a 0600 one and leaves an existing directory mode alone', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const path = join(dir, 'credentials');
    writeFileSync(path, 'old', { mode: 0o644 });
    chmodSync(path, 0o644);
    await atomicWriteFile(path, Buffer.from([0xff, 0x00, 0x0d, 0x0a]));
    expect(readFileSync(path)).toEqual(Buffer.from([0xff, 0x00, 0x0d, 0x0a]));
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(dir)).toBe(0o755);
  });

  it('honours an explicit mode, whatever the umask', async () => {
    const path = join(tempDir(), 'shared.txt');
    const previous = process.umask(0o077);
    try {
      await atomicWriteFile(path, 'x', { mode: 0o640 });
    } finally {
      process.umask(previous);
    }
    expect(modeOf(path)).toBe(0o640);
  });

  it('replaces a symlink at the path instead of writing through it', async () => {
    const dir = tempDir();
    const elsewhere = join(dir, 'elsewhere');
    writeFileSync(elsewhere, 'precious');
    const path = join(dir, 'link');
    symlinkSync(elsewhere, path);
    await atomicWriteFile(path, 'new');
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readFileSync(elsewhere, 'utf8')).toBe('precious');
  });

  it('fails cleanly when the target is a directory: directory intact, no temp file left', async () => {
    const dir = tempDir();
    const path = join(dir, 'credentials');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'keep');
    await expect(atomicWriteFile(path, 'data')).rejects.toMatchObject({
      code: 'FILE_WRITE_FAILED',
      message: expect.stringContaining(path),
    });
    expect(statSync(path).isDirectory()).toBe(true);
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('keep');
    expect(readdirSync(dir)).toEqual(['credentials']);
  });

  it('fails cleanly when a parent is a file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    await expect(atomicWriteFile(join(dir, 'file', 'credentials'), 'data')).rejects.toMatchObject({
      code: 'FILE_WRITE_FAILED',
    });
    expect(readdirSync(dir)).toEqual(['file']);
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('x');
  });

  it('fails cleanly when the write itself fails half way (file size limit): original intact, no temp left', async () => {
    const dir = tempDir();
    const path = join(dir, 'credentials');
    writeFileSync(path, 'original contents\n', { mode: 0o644 });
    const script = `
      import { atomicWriteFile } from ${JSON.stringify(join(SRC, 'credentials', 'atomic-write'))};
      // With SIGXFSZ handled, a write past the limit fails with EFBIG instead of killing us.
      process.on('SIGXFSZ', () => {});
      try {
        await atomicWriteFile(${JSON.stringify(path)}, Buffer.alloc(4 * 1024 * 1024, 0x61));
        console.log('written');
      } catch (error) {
        console.log(JSON.stringify({ code: error.code, message: error.message }));
      }
    `;
    const result = await runBundled(dir, script, { shellPrefix: 'ulimit -f 64' });
    expect(result.stderr).toBe('');
    const outcome = JSON.parse(result.stdout);
    expect(outcome.code).toBe('FILE_WRITE_FAILED');
    expect(outcome.message).toContain('cannot write the temporary file');
    expect(readFileSync(path, 'utf8')).toBe('original contents\n');
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it('leaves no temp files after many writes, and readers only ever see whole files', async () => {
    const dir = tempDir();
    const path = join(dir, 'credentials');
    const versions = Array.from(
      { length: 20 },
      (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(64 * 1024)}`,
    );
    await atomicWriteFile(path, versions[0] ?? '');
    let reading = true;
    const seen = new Set<number>();
    const reader = (async () => {
      while (reading) {
        const text = readFileSync(path, 'utf8');
        expect(versions).toContain(text); // never a torn or empty file
        seen.add(Number(text.slice(0, 2)));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (const version of versions) await atomicWriteFile(path, version);
    reading = false;
    await reader;
    expect(readFileSync(path, 'utf8')).toBe(versions[19]);
    expect(seen.size).toBeGreaterThan(1);
    expect(tempFilesIn(dir)).toEqual([]);
  });
});
