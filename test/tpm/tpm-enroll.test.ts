import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type CliResult, runCli } from '../helpers/cli';
import { type Started, startLocalEndpoint, stopProcess } from '../helpers/local-endpoint';
import { createIntermediateCa, createRootCa, type TestCa } from '../helpers/pki';
import { addTpmToken, type Swtpm, startSwtpm, swtpmUnavailable, useTpmInProcess } from '../helpers/swtpm';
import { makeTempDir } from '../helpers/tmp';
import { run } from '../helpers/tools';

const TEMPLATE = join(import.meta.dirname, '..', 'fixtures', 'local-endpoint', 'article-template.yaml');
const PIN = '1234';
const skip = swtpmUnavailable();
if (skip) console.warn(`TPM tests skipped: ${skip}`);

/**
 * An edge appliance's first boot, on a software TPM through tpm2-pkcs11: `key generate` in the
 * TPM, `csr`, the user's CA (openssl) issues the certificate, `cert import`, then
 * `credential-process` gets credentials from the local Roles Anywhere endpoint, all with the
 * built CLI and only the URI `key generate` printed.
 */
describe.skipIf(skip !== undefined)(
  `TPM 2.0 (swtpm + tpm2-pkcs11): key to credentials${skip ? ` [skipped: ${skip}]` : ''}`,
  () => {
    const dir = makeTempDir('ra-tpm-');
    const path = (name: string) => join(dir.path, name);
    let tpm: Swtpm;
    let root: TestCa;
    let issuing: TestCa;
    let endpoint: Started;
    const keyUris = new Map<string, string>();

    const cli = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
      runCli(args, { env: { ...tpm.env, ...extra }, timeoutMs: 120_000 });
    const tokenUri = `pkcs11:token=edge?pin-value=${PIN}`;

    /** openssl as the user's CA: a Roles Anywhere leaf for the CSR, signed by the issuing CA. */
    function issue(csrPath: string, name: string, days: number): string {
      const ext = path(`${name}.ext`);
      writeFileSync(
        ext,
        'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
      );
      const cert = path(`${name}.crt`);
      run('/usr/bin/openssl', [
        'x509',
        '-req',
        '-in',
        csrPath,
        '-CA',
        issuing.certPath,
        '-CAkey',
        issuing.keyPath,
        '-CAcreateserial',
        '-days',
        String(days),
        '-sha256',
        '-extfile',
        ext,
        '-out',
        cert,
      ]);
      return cert;
    }

    const serialOf = (certPath: string) =>
      run('/usr/bin/openssl', ['x509', '-in', certPath, '-noout', '-serial'])
        .toString()
        .trim()
        .split('=')[1] ?? '';

    async function credentials(keyUri: string) {
      const result = await cli(
        [
          'credential-process',
          '--private-key',
          keyUri,
          '--intermediates',
          issuing.certPath,
          '--trust-anchor-arn',
          endpoint.info.trustAnchors[0]?.arn ?? '',
          '--profile-arn',
          endpoint.info.profiles[0]?.arn ?? '',
          '--role-arn',
          endpoint.info.roles[0]?.arn ?? '',
          '--endpoint',
          endpoint.info.endpoint,
        ],
        { RA_PKCS11_PIN: PIN },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as {
        Version: number;
        AccessKeyId: string;
        SecretAccessKey: string;
        SessionToken: string;
        Expiration: string;
      };
    }

    async function sessionName(creds: Awaited<ReturnType<typeof credentials>>): Promise<string> {
      const sts = new STSClient({
        region: 'us-east-1',
        endpoint: endpoint.info.endpoint,
        credentials: {
          accessKeyId: creds.AccessKeyId,
          secretAccessKey: creds.SecretAccessKey,
          sessionToken: creds.SessionToken,
        },
      });
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      return identity.Arn?.split('/').pop() ?? '';
    }

    beforeAll(async () => {
      tpm = await startSwtpm(dir.path);
      addTpmToken(tpm, 'edge', PIN);
      root = createRootCa(dir.path, 'Edge Root CA');
      issuing = createIntermediateCa(dir.path, root, 'Edge Issuing CA');
      endpoint = await startLocalEndpoint([
        '--template',
        TEMPLATE,
        '--parameter',
        `CACertificateBody=@${root.certPath}`,
        '--port',
        '0',
        '--state-dir',
        path('endpoint-state'),
      ]);
    });

    afterAll(async () => {
      if (endpoint) await stopProcess(endpoint, 'SIGTERM');
      await tpm?.stop();
      dir.remove();
    });

    it.each(['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072'])(
      'key generate --type %s makes a sign-only key in the TPM and prints its URI without the PIN',
      async (type) => {
        const result = await cli([
          'key',
          'generate',
          '--token',
          tokenUri,
          '--pkcs11-lib',
          tpm.module,
          '--label',
          `device-${type}`,
          '--type',
          type,
        ]);
        expect(result.stderr).toMatch(
          new RegExp(`generated ${type} key "device-${type}" \\(id [0-9a-f]{32}\\)`),
        );
        expect(result.code).toBe(0);
        const uri = result.stdout.trim();
        expect(uri).toMatch(
          new RegExp(
            `^pkcs11:token=edge;object=device-${type};id=(%[0-9A-F]{2}){16};type=private\\?module-path=`,
          ),
        );
        expect(uri).not.toContain(PIN);
        keyUris.set(type, uri);
      },
    );

    it.each(['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072'])(
      'csr, CA issue, cert import, credential-process with the %s TPM key',
      async (type) => {
        const keyUri = keyUris.get(type);
        if (!keyUri) throw new Error(`no key for ${type}`);
        const csrPath = path(`${type}.csr`);
        const csr = await cli(
          [
            'csr',
            '--private-key',
            keyUri,
            '--subject',
            `CN=edge-${type},OU=DataCenter-Northeast,O=Example Corp`,
            '--san',
            `dns:edge-${type}.example.com`,
            '--out',
            csrPath,
          ],
          { RA_PKCS11_PIN: PIN },
        );
        expect(csr.code, csr.stderr).toBe(0);
        const verified = run('/usr/bin/openssl', [
          'req',
          '-in',
          csrPath,
          '-noout',
          '-verify',
          '-subject',
          '-nameopt',
          'RFC2253',
        ]).toString();
        expect(verified).toContain(`subject=CN=edge-${type},OU=DataCenter-Northeast,O=Example Corp`);

        const certPath = issue(csrPath, `edge-${type}`, 30);
        const imported = await cli([
          'cert',
          'import',
          '--token',
          tokenUri,
          '--pkcs11-lib',
          tpm.module,
          '--label',
          `device-${type}`,
          '--certificate',
          certPath,
          '--chain',
          issuing.certPath,
        ]);
        expect(imported.code, imported.stderr).toBe(0);
        expect(imported.stdout).toMatch(/^stored certificate .*CN=edge-/m);
        expect(imported.stdout).toMatch(/CA certificate .*Edge Issuing CA/);

        const creds = await credentials(keyUri);
        expect(creds.Version).toBe(1);
        expect(creds.AccessKeyId).toMatch(/^ASIA/);
        // The default session name is the certificate serial in hex (leading zeros or not): compare numbers.
        expect(BigInt(`0x${await sessionName(creds)}`)).toBe(BigInt(`0x${serialOf(certPath)}`));
      },
    );

    it('the agent, as a process, serves credentials signed by the TPM key (credential-process --agent)', async () => {
      const keyUri = keyUris.get('ec-p256');
      if (!keyUri) throw new Error('no ec-p256 key');
      const config = path('agent.yaml');
      writeFileSync(
        config,
        [
          'profiles:',
          '  tpm:',
          `    pkcs11: ${JSON.stringify(keyUri)}`,
          `    intermediates: ${issuing.certPath}`,
          `    trustAnchorArn: ${endpoint.info.trustAnchors[0]?.arn}`,
          `    profileArn: ${endpoint.info.profiles[0]?.arn}`,
          `    roleArn: ${endpoint.info.roles[0]?.arn}`,
          `    endpoint: ${endpoint.info.endpoint}`,
          '    allow: { uids: [0] }',
        ].join('\n'),
      );
      const socket = path('run/agent.sock');
      mkdirSync(path('run'), { mode: 0o700 });
      // The PIN from the environment, as a systemd unit's Environment= or a credential would give it.
      const agent = spawn(process.execPath, [CLI, 'agent', '--config', config, '--socket', socket], {
        env: { ...tpm.env, RA_PKCS11_PIN: PIN },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      agent.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => agent.on('exit', resolve));
      try {
        let result: CliResult | undefined;
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          result = await cli(['credential-process', '--agent', socket, '--profile', 'tpm']);
          if (result.code === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        expect(result?.code, `${result?.stderr}\nagent: ${stderr.slice(-2000)}`).toBe(0);
        const creds = JSON.parse(result?.stdout ?? '{}');
        expect(creds.AccessKeyId).toMatch(/^ASIA/);
        expect(await sessionName(creds)).toMatch(/^[0-9a-f]+$/);
        expect(stderr).not.toContain(PIN);
      } finally {
        agent.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    });

    it('key list shows the TPM keys and certificates with their URIs, never a PIN or key material', async () => {
      const listed = await cli(['key', 'list', '--token', tokenUri, '--pkcs11-lib', tpm.module, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      const { tokens } = JSON.parse(listed.stdout) as {
        tokens: Array<{
          token: { label: string; manufacturer: string };
          loggedIn: boolean;
          keys: Array<{
            label: string;
            kind: string;
            keyType: string;
            curve?: string;
            modulusBits?: number;
            uri: string;
          }>;
          certificates: Array<{ label: string; ca: boolean; key?: string; status: string }>;
        }>;
      };
      expect(tokens).toHaveLength(1);
      const [edge] = tokens;
      expect(edge?.token.label).toBe('edge');
      expect(edge?.loggedIn).toBe(true);
      expect(
        edge?.keys.map((key) => [key.label, key.kind, key.keyType, key.curve ?? key.modulusBits]),
      ).toEqual([
        ['device-ec-p256', 'private', 'ec', 'P-256'],
        ['device-ec-p384', 'private', 'ec', 'P-384'],
        ['device-rsa-2048', 'private', 'rsa', 2048],
        ['device-rsa-3072', 'private', 'rsa', 3072],
      ]);
      expect(edge?.keys.map((key) => key.uri)).toEqual([...keyUris.values()].sort());
      const leaves = edge?.certificates.filter((cert) => !cert.ca) ?? [];
      expect(leaves.map((cert) => cert.key).sort()).toEqual([
        'device-ec-p256',
        'device-ec-p384',
        'device-rsa-2048',
        'device-rsa-3072',
      ]);
      // The issuing CA was given four times and stored once.
      expect(edge?.certificates.filter((cert) => cert.ca)).toHaveLength(1);
      expect(listed.stdout).not.toContain(PIN);
    });

    it('rotation: a new certificate imported for the same TPM key is used by the next credential-process', async () => {
      const keyUri = keyUris.get('ec-p256') as string;
      const first = await credentials(keyUri);
      const before = await sessionName(first);
      const csrPath = path('rotate.csr');
      const csr = await cli(
        [
          'csr',
          '--private-key',
          keyUri,
          '--subject',
          'CN=edge-ec-p256,OU=DataCenter-Northeast,O=Example Corp',
          '--out',
          csrPath,
        ],
        { RA_PKCS11_PIN: PIN },
      );
      expect(csr.code, csr.stderr).toBe(0);
      const renewed = issue(csrPath, 'edge-ec-p256-renewed', 90);
      const imported = await cli([
        'cert',
        'import',
        '--token',
        tokenUri,
        '--pkcs11-lib',
        tpm.module,
        '--label',
        'device-ec-p256',
        '--certificate',
        renewed,
      ]);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toMatch(
        /key "device-ec-p256" now has 2 certificates; new signers use .*expiring last/,
      );
      const after = await sessionName(await credentials(keyUri));
      expect(BigInt(`0x${after}`)).toBe(BigInt(`0x${serialOf(renewed)}`));
      expect(after).not.toBe(before);
    });

    it('the private keys in the TPM are sign-only, sensitive and not extractable (read through tpm2-pkcs11)', () => {
      useTpmInProcess(tpm);
      const api = new pkcs11js.PKCS11();
      api.load(tpm.module);
      api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
      try {
        const slot = api
          .C_GetSlotList(true)
          .find((candidate) => api.C_GetTokenInfo(candidate).label.trim() === 'edge');
        if (!slot) throw new Error('no token edge');
        const session = api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
        api.C_Login(session, pkcs11js.CKU_USER, PIN);
        api.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
        const keys = api.C_FindObjects(session, 16);
        api.C_FindObjectsFinal(session);
        expect(keys).toHaveLength(4);
        const flag = (key: Buffer, type: number) =>
          api.C_GetAttributeValue(session, key, [{ type }])[0]?.value[0];
        for (const key of keys) {
          expect(flag(key, pkcs11js.CKA_SIGN)).toBe(1);
          expect(flag(key, pkcs11js.CKA_DECRYPT)).toBe(0);
          expect(flag(key, pkcs11js.CKA_SENSITIVE)).toBe(1);
          expect(flag(key, pkcs11js.CKA_EXTRACTABLE)).toBe(0);
          expect(flag(key, pkcs11js.CKA_NEVER_EXTRACTABLE)).toBe(1);
          expect(() => api.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }])).toThrow();
        }
        api.C_CloseSession(session);
      } finally {
        api.C_Finalize();
      }
    });
  },
);
