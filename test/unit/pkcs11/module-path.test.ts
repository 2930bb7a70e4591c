import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defaultSearchPaths,
  type ModuleSearchPaths,
  resolveModulePath,
} from '../../../src/pkcs11/module-path';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('ra-module-path-');
afterAll(() => tmp.remove());

function searchIn(root: string): ModuleSearchPaths {
  const configs = join(root, 'modules');
  const libs = join(root, 'lib');
  mkdirSync(configs, { recursive: true });
  mkdirSync(libs, { recursive: true });
  return { configDirs: [configs], libraryDirs: [libs], proxyPaths: [join(root, 'p11-kit-proxy.so')] };
}

describe('resolveModulePath', () => {
  it('prefers module-path, then the option, then module-name, then p11-kit-proxy', () => {
    const search = searchIn(join(tmp.path, 'order'));
    writeFileSync(join(search.libraryDirs[0] as string, 'libvendor.so'), '');
    writeFileSync(search.proxyPaths[0] as string, '');
    expect(resolveModulePath({ modulePath: '/opt/a.so', moduleName: 'vendor' }, '/opt/b.so', search)).toEqual(
      { path: '/opt/a.so', source: 'module-path' },
    );
    expect(resolveModulePath({ moduleName: 'vendor' }, '/opt/b.so', search)).toEqual({
      path: '/opt/b.so',
      source: 'option',
    });
    expect(resolveModulePath({ moduleName: 'vendor' }, undefined, search)).toEqual({
      path: join(search.libraryDirs[0] as string, 'libvendor.so'),
      source: 'module-name',
    });
    expect(resolveModulePath({}, undefined, search)).toEqual({
      path: search.proxyPaths[0],
      source: 'p11-kit-proxy',
    });
  });

  it('follows a p11-kit .module config, relative module: names in the library dirs', () => {
    const search = searchIn(join(tmp.path, 'config'));
    writeFileSync(
      join(search.configDirs[0] as string, 'hsm.module'),
      '# comment\nmodule: vendor-pkcs11.so\ncritical: no\n',
    );
    writeFileSync(join(search.libraryDirs[0] as string, 'vendor-pkcs11.so'), '');
    writeFileSync(join(search.configDirs[0] as string, 'abs.module'), 'module:/opt/abs/pkcs11.so\n');
    expect(resolveModulePath({ moduleName: 'hsm' }, undefined, search).path).toBe(
      join(search.libraryDirs[0] as string, 'vendor-pkcs11.so'),
    );
    expect(resolveModulePath({ moduleName: 'abs' }, undefined, search).path).toBe('/opt/abs/pkcs11.so');
  });

  it('finds SoftHSM by module-name through the p11-kit config installed on this machine', () => {
    const path = resolveModulePath({ moduleName: 'softhsm2' }).path;
    expect(path).toMatch(/libsofthsm2\.so$/);
  });

  it('says what it searched when a module-name is unknown', () => {
    const search = searchIn(join(tmp.path, 'missing'));
    expect(() => resolveModulePath({ moduleName: 'nothing-here' }, undefined, search)).toThrow(
      expect.objectContaining({
        code: 'PKCS11_MODULE_NOT_FOUND',
        message: expect.stringContaining('no pkcs11 module named "nothing-here"'),
      }),
    );
    expect(() => resolveModulePath({ moduleName: '../etc/evil' }, undefined, search)).toThrow(
      expect.objectContaining({ code: 'PKCS11_URI_INVALID' }),
    );
    expect(() => resolveModulePath({}, undefined, search)).toThrow(
      expect.objectContaining({
        code: 'PKCS11_MODULE_NOT_FOUND',
        hint: expect.stringContaining('--pkcs11-lib'),
      }),
    );
  });

  it('knows the multiarch directories of this architecture', () => {
    expect(defaultSearchPaths('x64').proxyPaths[0]).toBe('/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so');
    expect(defaultSearchPaths('arm64').proxyPaths[0]).toBe('/usr/lib/aarch64-linux-gnu/p11-kit-proxy.so');
    expect(defaultSearchPaths('mips').proxyPaths[0]).toBe('/usr/lib64/p11-kit-proxy.so');
  });
});
