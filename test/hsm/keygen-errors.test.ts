import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWriteError } from '../../src/pkcs11/token-session';
import { CLI, runCli } from '../helpers/cli';
import { createRootCa, issueLeaf } from '../helpers/pki';
import {
  addSoftHsmToken,
  createSoftHsmToken,
  generateKeyInToken,
  importCertificate,
  type SoftHsmToken,
  setSoftHsmTokenFlags,
  softHsmTokenDirs,
} from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';
import { run } from '../helpers/tools';

// A PIN no message could contain by accident.
const PIN = '730194';
const TRUST_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-trust.so';
const CKF_WRITE_PROTECTED = 0x2;
const tmp = makeTempDir('ra-keygen-errors-');
let token: SoftHsmToken;
let trustToken: string;

/** Objects SoftHSM keeps on disk for the store (one file each): what "nothing created" is checked against. */
function objectFiles(of: SoftHsmToken): number {
  return softHsmTokenDirs(of).flatMap((dir) =>
    readdirSync(dir).filter((name) => /\.object$/.test(name) && name !== 'token.object'),
  ).length;
}

beforeAll(async () => {
  token = createSoftHsmToken(tmp.path, 'errors', PIN);
  addSoftHsmToken(token, 'read-only');
  setSoftHsmTokenFlags(token, 'read-only', CKF_WRITE_PROTECTED);
  generateKeyInToken(token, 'EC:prime256v1', 'aa', 'taken');
  const ca = createRootCa(tmp.path, 'Errors CA');
  const leaf = issueLeaf(tmp.path, ca, { name: 'cert-only' });
  importCertificate(token, leaf.certPath, 'bb', 'cert-only');
  const listed = await runCli(['key', 'list', '--pkcs11-lib', TRUST_MODULE, '--json']);
  const tokens = JSON.parse(listed.stdout || '{"tokens":[]}').tokens as Array<{ token: { label: string } }>;
  if (tokens.length === 0)
    throw new Error(`p11-kit-trust shows no token (install ca-certificates): ${listed.stderr}`);
  trustToken = tokens[0]?.token.label as string;
});
afterAll(() => tmp.remove());

const tokenUri = (label = 'errors') => `pkcs11:token=${encodeURIComponent(label)}?pin-value=${PIN}`;

interface Case {
  name: string;
  args: () => string[];
  code: string;
  message: RegExp;
  hint: RegExp;
  exit?: number;
}

const cases: Case[] = [
  {
    name: 'label taken by a key pair',
    args: () => ['--token', tokenUri(), '--label', 'taken'],
    code: 'LABEL_TAKEN',
    message:
      /^label "taken" is taken on token "errors" .*: a (public|private) key and a (private|public) key have it already$/,
    hint: /choose another --label .*nothing was created/,
  },
  {
    name: 'label taken by a certificate alone',
    args: () => ['--token', tokenUri(), '--label', 'cert-only'],
    code: 'LABEL_TAKEN',
    message: /label "cert-only" is taken .*: a certificate has it already/,
    hint: /nothing was created/,
  },
  {
    name: 'id taken',
    args: () => ['--token', tokenUri(), '--label', 'fresh', '--id', 'AA'],
    code: 'ID_TAKEN',
    message: /^id aa is taken on token "errors" .*have it already$/,
    hint: /another --id .*nothing was created/,
  },
  {
    name: 'unsupported key type (p11-kit-trust offers no key generation)',
    args: () => [
      '--token',
      `pkcs11:token=${encodeURIComponent(trustToken)}`,
      '--pkcs11-lib',
      TRUST_MODULE,
      '--label',
      'x',
    ],
    code: 'KEY_TYPE_UNSUPPORTED',
    message: /cannot make ec-p256 keys: it does not offer CKM_EC_KEY_PAIR_GEN$/,
    hint: /choose another --type.*--list-mechanisms.*nothing was created/,
  },
  {
    name: 'unsupported RSA key type too',
    args: () => [
      '--token',
      `pkcs11:token=${encodeURIComponent(trustToken)}`,
      '--pkcs11-lib',
      TRUST_MODULE,
      '--label',
      'x',
      '--type',
      'rsa-3072',
    ],
    code: 'KEY_TYPE_UNSUPPORTED',
    message: /cannot make rsa-3072 keys: it does not offer CKM_RSA_PKCS_KEY_PAIR_GEN$/,
    hint: /choose another --type/,
  },
  {
    name: 'token flagged read-only (CKF_WRITE_PROTECTED)',
    args: () => ['--token', tokenUri('read-only'), '--label', 'x'],
    code: 'TOKEN_READ_ONLY',
    message: /^token "read-only" .* is read-only: it reports CKF_WRITE_PROTECTED$/,
    hint: /nothing was created/,
  },
  {
    name: 'id that is not hex',
    args: () => ['--token', tokenUri(), '--label', 'x', '--id', 'zz'],
    code: 'ID_INVALID',
    message: /^invalid id "zz": give 1 to 64 bytes as hex/,
    hint: /random 16-byte id/,
  },
  {
    name: 'odd number of hex digits',
    args: () => ['--token', tokenUri(), '--label', 'x', '--id', 'abc'],
    code: 'ID_INVALID',
    message: /invalid id "abc"/,
    hint: /random/,
  },
  {
    name: 'empty label',
    args: () => ['--token', tokenUri(), '--label', ''],
    code: 'LABEL_INVALID',
    message: /^invalid label "": it must be 1 to 128 characters/,
    hint: /--label device/,
  },
  {
    name: 'an object URI as --token',
    args: () => ['--token', 'pkcs11:token=errors;object=taken', '--label', 'x'],
    code: 'PKCS11_URI_INVALID',
    message: /--token names a token, but the uri has object=/,
    hint: /--label/,
  },
  {
    name: 'no such token',
    args: () => ['--token', tokenUri('nope'), '--label', 'x'],
    code: 'PKCS11_TOKEN_NOT_FOUND',
    message: /^no token matches pkcs11:token=nope in pkcs11 module .*; tokens found: .*"errors"/,
    hint: /token=<label>/,
  },
];

describe('key generate refuses bad input with one clear error and creates nothing', () => {
  it.each(cases)('$name', async (testCase) => {
    const before = objectFiles(token);
    const args = testCase.args();
    const result = await runCli(
      ['key', 'generate', ...(args.includes('--pkcs11-lib') ? [] : ['--pkcs11-lib', token.module]), ...args],
      { env: token.env },
    );
    expect(result.code).toBe(testCase.exit ?? 1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]?.slice('error: '.length)).toMatch(testCase.message);
    expect(lines[1]).toMatch(/^hint: /);
    expect(lines[1]).toMatch(testCase.hint);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain(PIN);
    expect(objectFiles(token)).toBe(before);
  });

  it('a token store this user cannot write to: a clear error, nothing created', async () => {
    // SoftHSM ignores file modes for root, so the command runs as "nobody" when the test runs as root.
    const store = join(tmp.path, 'fs-read-only');
    mkdirSync(store);
    const fsToken = createSoftHsmToken(store, 'fs-read-only', PIN);
    // createSoftHsmToken points this process at the new store: the cases above are done with the old one.
    const dirs = softHsmTokenDirs(fsToken);
    for (const dir of dirs) {
      for (const file of readdirSync(dir)) chmodSync(join(dir, file), 0o644);
      chmodSync(dir, 0o555);
    }
    chmodSync(tmp.path, 0o755);
    chmodSync(store, 0o755);
    chmodSync(join(store, 'softhsm-tokens'), 0o755);
    const before = objectFiles(fsToken);
    const asRoot = process.getuid?.() === 0;
    const result = spawnSync(
      process.execPath,
      [
        CLI,
        'key',
        'generate',
        '--token',
        tokenUri('fs-read-only'),
        '--pkcs11-lib',
        fsToken.module,
        '--label',
        'x',
      ],
      {
        env: fsToken.env,
        encoding: 'utf8',
        timeout: 30_000,
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      },
    );
    expect(result.status, result.stderr).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^error: cannot generate a ec-p256 key "x" on token "fs-read-only" .*: .*\(CKR_GENERAL_ERROR from C_GenerateKeyPair\)$/,
    );
    expect(lines[1]).toMatch(
      /^hint: check that the token accepts new objects \(its store is writable by this user/,
    );
    expect(objectFiles(fsToken)).toBe(before);
    for (const dir of dirs) chmodSync(dir, 0o700);
  });

  it('full and write-protected tokens get their own codes when the write itself fails', () => {
    const info = { label: 'edge', serial: '1' } as never;
    const pkcs11Failure = (rv: number) => Object.assign(new Error('CKR'), { name: 'Pkcs11Error', code: rv });
    expect(
      toWriteError(pkcs11Failure(pkcs11js.CKR_DEVICE_MEMORY), 'C_CreateObject', 'cannot store', info),
    ).toMatchObject({
      code: 'TOKEN_FULL',
      message: 'cannot store: token "edge" (serial 1) is full (CKR_DEVICE_MEMORY)',
    });
    for (const rv of [pkcs11js.CKR_TOKEN_WRITE_PROTECTED, pkcs11js.CKR_SESSION_READ_ONLY]) {
      expect(toWriteError(pkcs11Failure(rv), 'C_GenerateKeyPair', 'cannot generate', info)).toMatchObject({
        code: 'TOKEN_READ_ONLY',
        message:
          'token "edge" (serial 1) is read-only: the token refused to store objects (C_GenerateKeyPair)',
      });
    }
  });
});

describe('the read-only case above is real', () => {
  it('pkcs11-tool lists the flagged SoftHSM token as readonly', () => {
    const slots = run('/usr/bin/pkcs11-tool', ['--module', token.module, '--list-slots'], {
      env: token.env,
    }).toString();
    const block =
      slots.split(/^Slot /m).find((text) => text.includes('token label        : read-only')) ?? '';
    expect(block).toMatch(/token flags\s+:.*readonly/);
  });
});
