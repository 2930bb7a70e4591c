import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePkcs11Uri } from '../../src/pkcs11/uri';
import { runCli } from '../helpers/cli';
import { createSoftHsmToken, type SoftHsmToken } from '../helpers/softhsm';
import { makeTempDir } from '../helpers/tmp';

const PIN = '562738';
const tmp = makeTempDir('ra-keygen-');
let token: SoftHsmToken;

beforeAll(() => {
  token = createSoftHsmToken(tmp.path, 'keygen', PIN);
});
afterAll(() => tmp.remove());

const generate = (args: string[]) =>
  runCli(
    [
      'key',
      'generate',
      '--token',
      `pkcs11:token=keygen?pin-value=${PIN}`,
      '--pkcs11-lib',
      token.module,
      ...args,
    ],
    {
      env: token.env,
    },
  );

/** Every attribute of the objects with `id`, read in this process through SoftHSM. */
function objectsWithId(id: Uint8Array): Array<{ cls: number; attrs: Map<number, Buffer> }> {
  const api = new pkcs11js.PKCS11();
  api.load(token.module);
  api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  try {
    const slot = api
      .C_GetSlotList(true)
      .find((candidate) => api.C_GetTokenInfo(candidate).label.trim() === 'keygen');
    if (!slot) throw new Error('no token keygen');
    const session = api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    api.C_Login(session, pkcs11js.CKU_USER, PIN);
    api.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_ID, value: Buffer.from(id) }]);
    const handles = api.C_FindObjects(session, 16);
    api.C_FindObjectsFinal(session);
    const types = [
      pkcs11js.CKA_CLASS,
      pkcs11js.CKA_LABEL,
      pkcs11js.CKA_TOKEN,
      pkcs11js.CKA_PRIVATE,
      pkcs11js.CKA_SENSITIVE,
      pkcs11js.CKA_EXTRACTABLE,
      pkcs11js.CKA_SIGN,
      pkcs11js.CKA_DECRYPT,
      pkcs11js.CKA_UNWRAP,
      pkcs11js.CKA_DERIVE,
      pkcs11js.CKA_VERIFY,
      pkcs11js.CKA_ENCRYPT,
      pkcs11js.CKA_WRAP,
      pkcs11js.CKA_KEY_TYPE,
      pkcs11js.CKA_EC_PARAMS,
      pkcs11js.CKA_MODULUS_BITS,
    ];
    return handles.map((handle) => {
      const attrs = new Map<number, Buffer>();
      for (const type of types) {
        try {
          const [attribute] = api.C_GetAttributeValue(session, handle, [{ type }]);
          if (attribute) attrs.set(type, attribute.value);
        } catch {
          // Not an attribute of this class.
        }
      }
      return { cls: attrs.get(pkcs11js.CKA_CLASS)?.[0] ?? -1, attrs };
    });
  } finally {
    api.C_Finalize();
  }
}

const flag = (attrs: Map<number, Buffer>, type: number) => attrs.get(type)?.[0];

describe('key generate on SoftHSM', () => {
  const made: Array<{ type: string; id: Uint8Array }> = [];

  it.each([
    ['ec-p256', '06082a8648ce3d030107', undefined],
    ['ec-p384', '06052b81040022', undefined],
    ['rsa-2048', undefined, 2048],
    ['rsa-3072', undefined, 3072],
  ])(
    '--type %s makes a sign-only, non-extractable key pair and prints its URI',
    async (type, ecParams, bits) => {
      const result = await generate(['--label', `device-${type}`, '--type', type]);
      expect(result.code, result.stderr).toBe(0);
      const uri = result.stdout.trim();
      expect(result.stdout.split('\n')).toHaveLength(2);
      expect(uri).not.toContain(PIN);
      expect(uri).toMatch(
        /^pkcs11:token=keygen;object=device-[a-z0-9-]+;id=(%[0-9A-F]{2}){16};type=private\?module-path=\//,
      );
      const parsed = parsePkcs11Uri(uri);
      expect(parsed.object).toBe(`device-${type}`);
      expect(parsed.modulePath).toBe(token.module);
      const id = parsed.id as Uint8Array;
      expect(id).toHaveLength(16);
      expect(result.stderr).toContain(
        `generated ${type} key "device-${type}" (id ${Buffer.from(id).toString('hex')})`,
      );

      const objects = objectsWithId(id);
      expect(objects.map((object) => object.cls).sort()).toEqual(
        [pkcs11js.CKO_PUBLIC_KEY, pkcs11js.CKO_PRIVATE_KEY].sort(),
      );
      const privateKey = objects.find((object) => object.cls === pkcs11js.CKO_PRIVATE_KEY)?.attrs as Map<
        number,
        Buffer
      >;
      const publicKey = objects.find((object) => object.cls === pkcs11js.CKO_PUBLIC_KEY)?.attrs as Map<
        number,
        Buffer
      >;
      expect(privateKey.get(pkcs11js.CKA_LABEL)?.toString()).toBe(`device-${type}`);
      expect(publicKey.get(pkcs11js.CKA_LABEL)?.toString()).toBe(`device-${type}`);
      expect([
        flag(privateKey, pkcs11js.CKA_TOKEN),
        flag(privateKey, pkcs11js.CKA_PRIVATE),
        flag(privateKey, pkcs11js.CKA_SENSITIVE),
        flag(privateKey, pkcs11js.CKA_EXTRACTABLE),
        flag(privateKey, pkcs11js.CKA_SIGN),
        flag(privateKey, pkcs11js.CKA_DECRYPT),
        flag(privateKey, pkcs11js.CKA_UNWRAP),
        flag(privateKey, pkcs11js.CKA_DERIVE),
      ]).toEqual([1, 1, 1, 0, 1, 0, 0, 0]);
      expect([
        flag(publicKey, pkcs11js.CKA_TOKEN),
        flag(publicKey, pkcs11js.CKA_VERIFY),
        flag(publicKey, pkcs11js.CKA_ENCRYPT),
        flag(publicKey, pkcs11js.CKA_WRAP),
        flag(publicKey, pkcs11js.CKA_DERIVE),
      ]).toEqual([1, 1, 0, 0, 0]);
      if (ecParams) expect(publicKey.get(pkcs11js.CKA_EC_PARAMS)?.toString('hex')).toBe(ecParams);
      if (bits) expect(publicKey.get(pkcs11js.CKA_MODULUS_BITS)?.readUInt32LE()).toBe(bits);
      made.push({ type, id });
    },
  );

  it('gives each key its own random id', () => {
    const ids = made.map((key) => Buffer.from(key.id).toString('hex'));
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
  });

  it('uses the --id given (hex, colons allowed)', async () => {
    const result = await generate(['--label', 'with-id', '--id', 'a1:b2:c3', '--type', 'ec-p256']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toContain(';id=%A1%B2%C3;type=private');
    expect(objectsWithId(Uint8Array.from([0xa1, 0xb2, 0xc3]))).toHaveLength(2);
  });

  it('carries module-path and pin-source over into the printed URI, never pin-value', async () => {
    const pinFile = join(tmp.path, 'pin');
    writeFileSync(pinFile, `${PIN}\n`, { mode: 0o600 });
    const result = await runCli(
      [
        'key',
        'generate',
        '--token',
        `pkcs11:token=keygen?module-path=${token.module}&pin-source=${pinFile}`,
        '--label',
        'pin-source',
      ],
      { env: token.env },
    );
    expect(result.code, result.stderr).toBe(0);
    const printed = parsePkcs11Uri(result.stdout.trim());
    expect(printed).toMatchObject({ token: 'keygen', object: 'pin-source', type: 'private' });
    expect(printed.modulePath).toBe(token.module);
    expect(printed.pinSource).toBe(pinFile);
    expect(printed.pinValue).toBeUndefined();
    expect(result.stdout).not.toContain(PIN);
    const missing = await runCli(
      [
        'key',
        'generate',
        '--token',
        `pkcs11:token=keygen?module-path=${token.module}&pin-source=${pinFile}.gone`,
        '--label',
        'x',
      ],
      { env: token.env },
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: cannot read pin-source file .*pin\.gone: no such file/m);
  });

  it('key list shows the generated keys with the URIs key generate printed', async () => {
    const listed = await runCli(
      ['key', 'list', '--token', `pkcs11:token=keygen?pin-value=${PIN}`, '--pkcs11-lib', token.module],
      { env: token.env },
    );
    expect(listed.code, listed.stderr).toBe(0);
    for (const type of ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072']) {
      const key = made.find((entry) => entry.type === type);
      const line = listed.stdout
        .split('\n')
        .find((text) => text.startsWith(`key `) && text.includes(`device-${type} `));
      expect(line).toBeDefined();
      expect(line).toContain(Buffer.from(key?.id ?? []).toString('hex'));
      expect(line).toMatch(type.startsWith('ec') ? /EC P-(256|384)/ : /RSA (2048|3072)/);
      expect(line).toContain(';type=private?module-path=');
    }
    expect(listed.stdout).not.toContain(PIN);
  });
});
