import { closeSync, copyFileSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors';
import { findFastClient, loadNative } from '../../../src/native';
import { makeTempDir } from '../../helpers/tmp';
import { ADDON_PATH, CLIENT_PATH, ensureNativeBuilt, ROOT } from './native-support';

const dir = makeTempDir('ra-loadnative-');

beforeAll(() => {
  ensureNativeBuilt();
});
afterAll(() => dir.remove());

/** A package-like tree: <root>/dist/chunks and <root>/native-bindings/build/... as after a build. */
function packageTree(name: string, files: { addon?: string | Buffer; client?: boolean }): string {
  const root = join(dir.path, name);
  mkdirSync(join(root, 'dist', 'chunks'), { recursive: true });
  const release = join(root, 'native-bindings', 'build', 'Release');
  mkdirSync(release, { recursive: true });
  if (typeof files.addon === 'string') copyFileSync(files.addon, join(release, 'ra_native.node'));
  else if (files.addon !== undefined) writeFileSync(join(release, 'ra_native.node'), files.addon);
  if (files.client)
    copyFileSync(CLIENT_PATH, join(root, 'native-bindings', 'build', 'ra-credential-process'));
  return root;
}

function thrown(fn: () => unknown): AgentError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AgentError) return error;
    throw error;
  }
  throw new Error('expected an AgentError');
}

describe('loadNative', () => {
  it('finds the built addon from src/native and loads it once', () => {
    const native = loadNative();
    expect(native.path).toBe(ADDON_PATH);
    expect(typeof native.peerCredentials).toBe('function');
    expect(typeof native.disableCoreDumps).toBe('function');
    expect(loadNative()).toBe(native);
  });

  it("searches upward: from dist/chunks of a package it finds that package's build", () => {
    const root = packageTree('pkg-chunks', { addon: ADDON_PATH, client: true });
    const native = loadNative({ from: join(root, 'dist', 'chunks') });
    expect(native.path).toBe(join(root, 'native-bindings', 'build', 'Release', 'ra_native.node'));
    expect(loadNative({ from: join(root, 'dist') }).path).toBe(native.path);
    expect(findFastClient({ from: join(root, 'dist', 'chunks') })).toBe(
      join(root, 'native-bindings', 'build', 'ra-credential-process'),
    );
  });

  it('fails closed with NATIVE_UNAVAILABLE and the setup hint when nothing is built', () => {
    const root = packageTree('pkg-empty', {});
    const from = join(root, 'dist', 'chunks');
    const error = thrown(() => loadNative({ from }));
    expect(error.code).toBe('NATIVE_UNAVAILABLE');
    expect(error.message).toContain(from);
    expect(error.message).toContain('native-bindings/build/Release/ra_native.node');
    expect(error.hint).toBe('run scripts/setup.sh (builds native-bindings)');
    expect(findFastClient({ from })).toBeUndefined();
  });

  it('fails closed with NATIVE_UNAVAILABLE when the file is not a loadable addon', () => {
    const root = packageTree('pkg-broken', { addon: Buffer.from('not an ELF file') });
    const error = thrown(() => loadNative({ from: join(root, 'dist') }));
    expect(error.code).toBe('NATIVE_UNAVAILABLE');
    expect(error.message).toMatch(/^cannot load native addon .*ra_native\.node: /);
    expect(error.hint).toBe('run scripts/setup.sh (builds native-bindings)');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('works from an esbuild bundle in dist/chunks (import.meta.url is the chunk)', async () => {
    const root = packageTree('pkg-bundle', { addon: ADDON_PATH });
    const outfile = join(root, 'dist', 'chunks', 'native-bundle.mjs');
    await build({
      absWorkingDir: ROOT,
      entryPoints: [join(ROOT, 'src', 'native', 'index.ts')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
    });
    const bundled = (await import(pathToFileURL(outfile).href)) as typeof import('../../../src/native');
    const native = bundled.loadNative();
    expect(native.path).toBe(join(root, 'native-bindings', 'build', 'Release', 'ra_native.node'));
    // The addon it loaded works: a plain file's fd is refused with the errno text.
    const fd = openSync(join(root, 'plain-file'), 'w');
    try {
      expect(() => native.peerCredentials(fd)).toThrow(`socket fd ${fd}: Socket operation on non-socket`);
    } finally {
      closeSync(fd);
    }
  });
});
