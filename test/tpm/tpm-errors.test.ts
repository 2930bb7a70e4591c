import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli';
import { createRootCa, issueLeaf, type TestCa } from '../helpers/pki';
import { addTpmToken, type Swtpm, startSwtpm, swtpmUnavailable } from '../helpers/swtpm';
import { makeTempDir } from '../helpers/tmp';
import { run } from '../helpers/tools';

const PIN = '662901';
const skip = swtpmUnavailable();
if (skip) console.warn(`TPM tests skipped: ${skip}`);

interface Listing {
  tokens: Array<{ keys: unknown[]; certificates: unknown[] }>;
}

/**
 * Bad input on a TPM token (tpm2-pkcs11 over swtpm): one `error:` and one `hint:` line each,
 * exit 1, and nothing left on the token. Last, the TPM goes away (swtpm stopped).
 */
describe.skipIf(skip !== undefined)(
  `TPM 2.0 (swtpm + tpm2-pkcs11): bad input${skip ? ` [skipped: ${skip}]` : ''}`,
  () => {
    const dir = makeTempDir('ra-tpm-errors-');
    const path = (name: string) => join(dir.path, name);
    let tpm: Swtpm;
    let ca: TestCa;
    let keyUri: string;
    const tokenUri = `pkcs11:token=edge?pin-value=${PIN}`;

    const cli = (args: string[]): Promise<CliResult> => runCli(args, { env: tpm.env, timeoutMs: 60_000 });
    const storeHash = () =>
      createHash('sha256')
        .update(readFileSync(join(tpm.store, 'tpm2_pkcs11.sqlite3')))
        .digest('hex');
    async function objectCount(): Promise<number> {
      const listed = await cli(['key', 'list', '--token', tokenUri, '--pkcs11-lib', tpm.module, '--json']);
      if (listed.code !== 0) throw new Error(listed.stderr);
      const [token] = (JSON.parse(listed.stdout) as Listing).tokens;
      return (token?.keys.length ?? 0) + (token?.certificates.length ?? 0);
    }
    /**
     * Our `error:` and `hint:` lines end stderr. tpm2-pkcs11 1.9 prints its own "ERROR: ..." lines
     * before them and has no log level that silences errors (docs/tpm.md): only those may precede.
     */
    function expectOneError(result: CliResult, message: RegExp, hint: RegExp): void {
      expect(result.code).toBe(1);
      const all = result.stderr.trimEnd().split('\n');
      const lines = all.filter((line) => !/^(ERROR|WARNING): /.test(line));
      expect(lines, result.stderr).toHaveLength(2);
      expect(all.slice(-2)).toEqual(lines);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]?.replace(/^error: /, '')).toMatch(message);
      expect(lines[1]).toMatch(/^hint: /);
      expect(lines[1]).toMatch(hint);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toContain(PIN);
    }

    beforeAll(async () => {
      tpm = await startSwtpm(dir.path);
      addTpmToken(tpm, 'edge', PIN);
      ca = createRootCa(dir.path, 'TPM Errors CA');
      const generated = await cli([
        'key',
        'generate',
        '--token',
        tokenUri,
        '--pkcs11-lib',
        tpm.module,
        '--label',
        'taken',
        '--id',
        '7a',
      ]);
      if (generated.code !== 0) throw new Error(generated.stderr);
      keyUri = generated.stdout.trim();
      writeFileSync(path('pin'), PIN, { mode: 0o600 });
    });
    afterAll(async () => {
      await tpm?.stop();
      dir.remove();
    });

    const cases: Array<{ name: string; args: () => string[]; message: RegExp; hint: RegExp }> = [
      {
        name: 'key generate: label taken',
        args: () => ['key', 'generate', '--token', tokenUri, '--pkcs11-lib', tpm.module, '--label', 'taken'],
        message:
          /^label "taken" is taken on token "edge" \(serial 0000000000000000\): a (private|public) key and a (public|private) key have it already$/,
        hint: /nothing was created/,
      },
      {
        name: 'key generate: id taken',
        args: () => [
          'key',
          'generate',
          '--token',
          tokenUri,
          '--pkcs11-lib',
          tpm.module,
          '--label',
          'fresh',
          '--id',
          '7A',
        ],
        message: /^id 7a is taken on token "edge"/,
        hint: /nothing was created/,
      },
      {
        name: 'key generate: wrong PIN',
        args: () => [
          'key',
          'generate',
          '--token',
          'pkcs11:token=edge?pin-value=000000',
          '--pkcs11-lib',
          tpm.module,
          '--label',
          'x',
        ],
        message: /^the pin for token "edge" \(serial 0000000000000000\) is incorrect/,
        hint: /every wrong try counts towards locking the token/,
      },
      {
        name: 'key generate: no such token in the store',
        args: () => [
          'key',
          'generate',
          '--token',
          'pkcs11:token=nope',
          '--pkcs11-lib',
          tpm.module,
          '--label',
          'x',
        ],
        message:
          /^no token matches pkcs11:token=nope in pkcs11 module .*libtpm2_pkcs11\.so; tokens found: "edge"/,
        hint: /TPM2_PKCS11_STORE .*tpm2_ptool init/,
      },
      {
        name: 'cert import: a certificate for another key',
        args: () => [
          'cert',
          'import',
          '--token',
          tokenUri,
          '--pkcs11-lib',
          tpm.module,
          '--label',
          'taken',
          '--certificate',
          issueLeaf(dir.path, ca, { name: 'not-the-tpm-key' }).certPath,
        ],
        message:
          /^certificate ".*CN=not-the-tpm-key" \(serial [0-9a-f]+\) does not match key "taken" \(id 7a\) on token "edge" .*: the public keys differ$/,
        hint: /nothing was stored/,
      },
      {
        name: 'csr: subject syntax error',
        args: () => [
          'csr',
          '--private-key',
          `${keyUri}&pin-value=${PIN}`,
          '--subject',
          'CN=edge,O',
          '--out',
          path('x.csr'),
        ],
        message: /^invalid --subject: "O" has no "="/,
        hint: /RFC 4514/,
      },
    ];

    it.each(cases)('$name', async (testCase) => {
      const before = await objectCount();
      expectOneError(await cli(testCase.args()), testCase.message, testCase.hint);
      expect(await objectCount()).toBe(before);
    });

    it('TPM not reachable (swtpm stopped): every command says so plainly and nothing is written', async () => {
      const before = storeHash();
      await tpm.stopTpm();
      const unreachable =
        /^the tpm behind pkcs11 module .*libtpm2_pkcs11\.so cannot be reached \(CKR_GENERAL_ERROR from C_Initialize\)$/;
      const hint = /\/dev\/tpmrm0 .*tpm2-abrmd.*TPM2_PKCS11_TCTI/;
      const cert = issueLeaf(dir.path, ca, { name: 'offline' }).certPath;
      for (const args of [
        ['key', 'generate', '--token', tokenUri, '--pkcs11-lib', tpm.module, '--label', 'offline'],
        ['key', 'list', '--token', tokenUri, '--pkcs11-lib', tpm.module],
        [
          'cert',
          'import',
          '--token',
          tokenUri,
          '--pkcs11-lib',
          tpm.module,
          '--label',
          'taken',
          '--certificate',
          cert,
        ],
        ['csr', '--private-key', `${keyUri}&pin-source=${path('pin')}`, '--subject', 'CN=offline'],
      ]) {
        expectOneError(await cli(args), unreachable, hint);
      }
      expect(storeHash()).toBe(before);
      // The key pair is still in the store, for when the TPM is back.
      const count = run('/usr/bin/python3', [
        '-c',
        'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from tobjects").fetchone()[0])',
        join(tpm.store, 'tpm2_pkcs11.sqlite3'),
      ]);
      expect(Number(count.toString().trim())).toBe(2);
    });
  },
);
