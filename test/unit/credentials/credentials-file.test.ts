import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lchownSync,
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
import { updateCredentialsFile } from '../../../src/credentials/credentials-file';
import { credentialsFilePath } from '../../../src/credentials/credentials-file-path';
import type { Credentials } from '../../../src/credentials/types';
import { makeTempDir } from '../../helpers/tmp';

const isRoot = process.geteuid?.() === 0;
const ROOT = join(import.meta.dirname, '..', '..', '..');

const temps: Array<{ remove: () => void }> = [];
function tempDir(): string {
  const dir = makeTempDir('ra-credfile-');
  temps.push(dir);
  return dir.path;
}
afterEach(() => {
  for (const dir of temps.splice(0)) dir.remove();
});

const credentials: Credentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE+/TOKEN==',
  expiration: new Date('2030-01-01T00:00:00Z'),
};
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** The environment of a real AWS client reading only `path`: no env credentials, no IMDS. */
function clientEnv(path: string, profile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: path,
    AWS_CONFIG_FILE: join(path, '..', 'no-such-config'),
    AWS_PROFILE: profile,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

function readWithBotocore(path: string, profile: string): string[] {
  const script =
    'import botocore.session, json\n' +
    'c = botocore.session.Session().get_credentials()\n' +
    'print(json.dumps([c.access_key, c.secret_key, c.token]))\n';
  return JSON.parse(
    execFileSync('python3', ['-c', script], { env: clientEnv(path, profile), encoding: 'utf8' }),
  );
}

function readWithJsSdk(path: string, profile: string): string[] {
  const script =
    "const { STSClient } = await import('@aws-sdk/client-sts');\n" +
    "const c = await new STSClient({ region: 'us-east-1' }).config.credentials();\n" +
    'console.log(JSON.stringify([c.accessKeyId, c.secretAccessKey, c.sessionToken]));\n';
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: clientEnv(path, profile),
      encoding: 'utf8',
    }),
  );
}

const EXPECTED = [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken];

describe('updateCredentialsFile', () => {
  it('creates a missing file 0600 in a missing directory 0700', async () => {
    const home = tempDir();
    const path = join(home, '.aws', 'credentials');
    await updateCredentialsFile(path, 'default', credentials);
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(join(home, '.aws'))).toBe(0o700);
    expect(readFileSync(path, 'utf8')).toBe(
      '[default]\n' +
        'aws_access_key_id = ASIAEXAMPLEEXAMPLE01\n' +
        'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' +
        'aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE+/TOKEN==\n',
    );
  });

  it('turns a 0644 file into 0600 and keeps every other byte (CRLF, stray non-UTF-8 bytes)', async () => {
    const path = join(tempDir(), 'credentials');
    const before = Buffer.concat([
      Buffer.from('; \u00e9t\u00e9 comment\r\n[other]\r\nkey = '),
      Buffer.from([0xff, 0xfe, 0x80]),
      Buffer.from('\r\n\r\n[ci]\r\naws_access_key_id = OLD\r\nregion = eu-west-1\r\n\r\n[last]\r\nx = 1'),
    ]);
    writeFileSync(path, before, { mode: 0o644 });
    chmodSync(path, 0o644);
    await updateCredentialsFile(path, 'ci', credentials);
    expect(modeOf(path)).toBe(0o600);
    const after = readFileSync(path);
    const expected = Buffer.concat([
      Buffer.from('; \u00e9t\u00e9 comment\r\n[other]\r\nkey = '),
      Buffer.from([0xff, 0xfe, 0x80]),
      Buffer.from(
        '\r\n\r\n[ci]\r\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\r\nregion = eu-west-1\r\n' +
          'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\r\n' +
          'aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE+/TOKEN==\r\n\r\n[last]\r\nx = 1',
      ),
    ]);
    expect(after.equals(expected)).toBe(true);
  });

  it('handles a non-ASCII profile name as UTF-8', async () => {
    const path = join(tempDir(), 'credentials');
    writeFileSync(path, '[pr\u00fcfung]\naws_access_key_id = OLD\n');
    await updateCredentialsFile(path, 'pr\u00fcfung', credentials);
    expect(readFileSync(path, 'utf8')).toContain(
      '[pr\u00fcfung]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\n',
    );
    expect(readFileSync(path, 'utf8').match(/\[/g)).toHaveLength(1);
  });

  it('writes a file botocore and the JS SDK read as the profile, beside other profiles', async () => {
    const path = join(tempDir(), 'credentials');
    writeFileSync(
      path,
      '# kept\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = other\n\n' +
        '[ra]\nregion = eu-west-1\naws_access_key_id = OLD\naws_session_token = OLD\n',
    );
    await updateCredentialsFile(path, 'ra', credentials);
    expect(readWithBotocore(path, 'ra')).toEqual(EXPECTED);
    expect(readWithJsSdk(path, 'ra')).toEqual(EXPECTED);
    expect(readWithBotocore(path, 'default')).toEqual(['AKIADEFAULT', 'other', null]);
  });

  it('two profiles updated one after the other both stay', async () => {
    const path = join(tempDir(), 'credentials');
    await updateCredentialsFile(path, 'a', credentials);
    await updateCredentialsFile(path, 'b', { ...credentials, accessKeyId: 'ASIABBBBBBBBBBBBBBBB' });
    expect(readWithBotocore(path, 'a')[0]).toBe('ASIAEXAMPLEEXAMPLE01');
    expect(readWithBotocore(path, 'b')[0]).toBe('ASIABBBBBBBBBBBBBBBB');
  });

  it('follows a symlink we own: the link stays, the file it names is replaced 0600', async () => {
    const dir = tempDir();
    const real = join(dir, 'dotfiles', 'aws-credentials');
    mkdirSync(join(dir, 'dotfiles'));
    writeFileSync(real, '[x]\nk = v\n', { mode: 0o644 });
    mkdirSync(join(dir, '.aws'));
    const link = join(dir, '.aws', 'credentials');
    symlinkSync('../dotfiles/aws-credentials', link);
    await updateCredentialsFile(link, 'default', credentials);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toContain(
      '[x]\nk = v\n\n[default]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\n',
    );
    expect(modeOf(real)).toBe(0o600);
    expect(readdirSync(join(dir, 'dotfiles'))).toEqual(['aws-credentials']);
  });

  it.skipIf(!isRoot)("refuses a symlink owned by another user (it could point at root's files)", async () => {
    const dir = tempDir();
    const victim = join(dir, 'shadow');
    writeFileSync(victim, 'root:x:0:0\n');
    const link = join(dir, 'credentials');
    symlinkSync(victim, link);
    lchownSync(link, 12345, 12345);
    await expect(updateCredentialsFile(link, 'default', credentials)).rejects.toMatchObject({
      code: 'UNSAFE_CREDENTIALS_FILE',
    });
    expect(readFileSync(victim, 'utf8')).toBe('root:x:0:0\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('refuses a dangling symlink and a symlink loop', async () => {
    const dir = tempDir();
    const dangling = join(dir, 'dangling');
    symlinkSync(join(dir, 'missing'), dangling);
    await expect(updateCredentialsFile(dangling, 'default', credentials)).rejects.toMatchObject({
      code: 'UNSAFE_CREDENTIALS_FILE',
    });
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    await expect(updateCredentialsFile(join(dir, 'loop-a'), 'default', credentials)).rejects.toMatchObject({
      code: 'UNSAFE_CREDENTIALS_FILE',
    });
    expect(readdirSync(dir).sort()).toEqual(['dangling', 'loop-a', 'loop-b']);
  });

  it('refuses a directory at the path, leaving it and its parent as they were', async () => {
    const dir = tempDir();
    const path = join(dir, 'credentials');
    mkdirSync(path);
    await expect(updateCredentialsFile(path, 'default', credentials)).rejects.toMatchObject({
      code: 'UNSAFE_CREDENTIALS_FILE',
    });
    expect(readdirSync(dir)).toEqual(['credentials']);
    expect(readdirSync(path)).toEqual([]);
  });

  it('never writes incomplete credentials and never puts a secret in an error', async () => {
    const dir = tempDir();
    const path = join(dir, 'credentials');
    writeFileSync(path, '[default]\naws_access_key_id = KEEP\n');
    const bad = [
      { ...credentials, sessionToken: '' },
      { ...credentials, secretAccessKey: `${credentials.secretAccessKey}\n[evil]` },
    ];
    for (const value of bad) {
      const error = await updateCredentialsFile(path, 'default', value).catch((e: Error) => e);
      expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      expect(`${(error as Error).message} ${(error as { hint?: string }).hint}`).not.toContain('wJalr');
    }
    expect(readFileSync(path, 'utf8')).toBe('[default]\naws_access_key_id = KEEP\n');
    expect(readdirSync(dir)).toEqual(['credentials']);
  });

  it.skipIf(!isRoot)('run as root over a user-owned file, keeps the owner', async () => {
    const dir = tempDir();
    const path = join(dir, 'credentials');
    writeFileSync(path, '');
    chownSync(path, 12345, 23456);
    await updateCredentialsFile(path, 'default', credentials);
    expect(statSync(path).uid).toBe(12345);
    expect(statSync(path).gid).toBe(23456);
    expect(modeOf(path)).toBe(0o600);
  });
});

describe('credentialsFilePath', () => {
  it('uses AWS_SHARED_CREDENTIALS_FILE (with ~/ expanded) or ~/.aws/credentials', () => {
    expect(credentialsFilePath({}, '/home/u')).toBe('/home/u/.aws/credentials');
    expect(credentialsFilePath({ AWS_SHARED_CREDENTIALS_FILE: '/etc/creds' }, '/home/u')).toBe('/etc/creds');
    expect(credentialsFilePath({ AWS_SHARED_CREDENTIALS_FILE: '~/c' }, '/home/u')).toBe('/home/u/c');
    expect(credentialsFilePath({ AWS_SHARED_CREDENTIALS_FILE: '' }, '/home/u')).toBe(
      '/home/u/.aws/credentials',
    );
  });
});
