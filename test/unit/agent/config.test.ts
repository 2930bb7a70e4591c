import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseAgentConfig } from '../../../src/agent/config';
import { readPrincipalDirectory } from '../../../src/agent/principals';
import { makeTempDir } from '../../helpers/tmp';
import { makePki, type Pki, PROFILE_ARN, ROLE_ARN, TRUST_ANCHOR } from './agent-fixture';

const tmp = makeTempDir('ra-agent-config-');
let pki: Pki;
let directory: ReturnType<typeof readPrincipalDirectory>;
let source: string;

beforeAll(() => {
  pki = makePki(tmp.path);
  const passwd = join(tmp.path, 'passwd');
  const group = join(tmp.path, 'group');
  writeFileSync(
    passwd,
    'root:x:0:0:root:/root:/bin/sh\n# comment\napp:x:1500:1500::/home/app:/bin/sh\n+nis::::::\n',
  );
  writeFileSync(group, 'root:x:0:\nedge-clients:x:2500:app\n');
  directory = readPrincipalDirectory({ passwd, group });
  source = join(tmp.path, 'agent.yaml');
});
afterAll(() => tmp.remove());

const goodProfile = () => `  edge:
    certificate: ${pki.leaf.certPath}
    privateKey: ${pki.leaf.keyPath}
    trustAnchorArn: ${TRUST_ANCHOR}
    profileArn: ${PROFILE_ARN}
    roleArn: ${ROLE_ARN}
    allow: { uids: [app, 0], gids: [edge-clients] }
    sign: { uids: ["1500"] }
`;

function issuesOf(text: string): { line: number; key: string; message: string }[] {
  try {
    parseAgentConfig(text, source, { directory });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('agent config', () => {
  it('reads a valid YAML config, resolving user and group names', () => {
    const config = parseAgentConfig(
      `socketGroup: edge-clients\nlogLevel: debug\nprofiles:\n${goodProfile()}`,
      source,
      { directory },
    );
    const edge = config.profiles.get('edge');
    expect(config.socketGroup).toBe(2500);
    expect(config.logLevel).toBe('debug');
    expect(config.tokenCheckSeconds).toBe(60);
    expect(config.signingThreads).toBeUndefined();
    expect(edge).toMatchObject({
      name: 'edge',
      key: { kind: 'file', certificate: pki.leaf.certPath, privateKey: pki.leaf.keyPath },
      durationSeconds: 3600,
      proxy: false,
      allow: { uids: [1500, 0], gids: [2500] },
      sign: { uids: [1500], gids: [] },
      line: 4,
    });
  });

  it('reads the same config written as JSON', () => {
    const json = JSON.stringify({
      profiles: {
        edge: {
          pkcs11: 'pkcs11:token=edge;object=device?module-path=/usr/lib/softhsm/libsofthsm2.so',
          trustAnchorArn: TRUST_ANCHOR,
          profileArn: PROFILE_ARN,
          roleArn: ROLE_ARN,
          durationSeconds: 900,
          allow: { uids: [0] },
        },
      },
    });
    const config = parseAgentConfig(json, source, { directory });
    expect(config.profiles.get('edge')?.key).toEqual({
      kind: 'pkcs11',
      uri: 'pkcs11:token=edge;object=device?module-path=/usr/lib/softhsm/libsofthsm2.so',
    });
    expect(config.profiles.get('edge')?.durationSeconds).toBe(900);
  });

  it('names the key and the line of each problem', () => {
    const text = [
      'logLevel: loud', // 1
      'profiles:', // 2
      '  edge:', // 3
      `    certificate: ${pki.leaf.certPath}`, // 4
      `    privateKey: ${join(tmp.path, 'missing.key')}`, // 5
      `    trustAnchorArn: ${TRUST_ANCHOR}`, // 6
      '    profileArn: arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-0000-4000-8000-000000000001', // 7
      `    roleArn: ${ROLE_ARN}`, // 8
      '    durationSeconds: 60', // 9
      '    allow:', // 10
      '      uids:', // 11
      '        - app', // 12
      '        - mallory', // 13
      '    colour: blue', // 14
    ].join('\n');
    const issues = issuesOf(text);
    expect(issues).toEqual(
      expect.arrayContaining([
        { line: 1, key: 'logLevel', message: 'must be one of debug, info, warn, error, silent' },
        { line: 14, key: 'profiles.edge.colour', message: expect.stringMatching(/^unknown key/) },
        {
          line: 5,
          key: 'profiles.edge.privateKey',
          message: expect.stringMatching(/missing\.key does not exist$/),
        },
        { line: 7, key: 'profiles.edge.profileArn', message: expect.stringMatching(/profile/) },
        { line: 9, key: 'profiles.edge.durationSeconds', message: expect.stringMatching(/900 to 43200/) },
        { line: 13, key: 'profiles.edge.allow.uids.1', message: '"mallory" is not a known name' },
      ]),
    );
    expect(issues).toHaveLength(6);
    const error = (() => {
      try {
        parseAgentConfig(text, source, { directory });
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error?.code).toBe('CONFIG_INVALID');
    expect(error?.message).toMatch(new RegExp(`^${source}:\\d+: .+ \\(and 5 more problems\\)$`));
    expect(error?.hint).toContain('--check-config');
  });

  it('takes signingThreads from 1 to 16 and names any other value', () => {
    const withThreads = (value: string) => `signingThreads: ${value}\nprofiles:\n${goodProfile()}`;
    expect(parseAgentConfig(withThreads('8'), source, { directory }).signingThreads).toBe(8);
    for (const value of ['0', '17', '2.5', 'many']) {
      expect(issuesOf(withThreads(value))).toEqual([
        { line: 1, key: 'signingThreads', message: 'must be a whole number from 1 to 16' },
      ]);
    }
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    expect(issuesOf('profiles:\n  edge: [1,\n')[0]).toMatchObject({ line: expect.any(Number), key: '' });
    const duplicate = issuesOf(`profiles:\n${goodProfile()}${goodProfile()}`);
    expect(duplicate).toEqual([{ line: 10, key: '', message: expect.stringMatching(/unique/) }]);
    expect(issuesOf('{"profiles": {"edge": 1,}')[0]?.line).toBe(1);
  });

  it('refuses a PIN written into the config, and requires a key, the ARNs and an allow list', () => {
    const pinValue = issuesOf(
      `profiles:\n  edge:\n    pkcs11: "pkcs11:token=edge;object=device?pin-value=123456"\n    trustAnchorArn: ${TRUST_ANCHOR}\n    profileArn: ${PROFILE_ARN}\n    roleArn: ${ROLE_ARN}\n    allow: {uids: [0]}\n`,
    );
    expect(pinValue).toEqual([
      { line: 3, key: 'profiles.edge.pkcs11', message: expect.stringMatching(/^pin-value is refused/) },
    ]);
    expect(JSON.stringify(pinValue)).not.toContain('123456');
    const empty = issuesOf('profiles:\n  edge: {}\n');
    expect(empty.map((issue) => issue.key).sort()).toEqual([
      'profiles.edge',
      'profiles.edge',
      'profiles.edge.profileArn',
      'profiles.edge.roleArn',
      'profiles.edge.trustAnchorArn',
    ]);
    expect(empty.find((issue) => issue.message.includes('no key'))?.line).toBe(2);
    expect(issuesOf('profiles: {}\n')).toEqual([{ line: 1, key: 'profiles', message: 'has no profile' }]);
    expect(issuesOf('socket: /run/x.sock\n')).toEqual([
      { line: 1, key: '', message: 'no "profiles": the agent needs at least one profile' },
    ]);
    expect(issuesOf('profiles:\n  "bad name!": {}\n')[0]).toMatchObject({
      line: 2,
      key: 'profiles.bad name!',
    });
  });

  it('checks a pin-source file and the pinCredential name', () => {
    const issues = issuesOf(
      `profiles:\n  edge:\n    pkcs11: "pkcs11:token=edge;object=device?pin-source=${join(tmp.path, 'no-pin')}"\n    pinCredential: "../x"\n    trustAnchorArn: ${TRUST_ANCHOR}\n    profileArn: ${PROFILE_ARN}\n    roleArn: ${ROLE_ARN}\n    allow: {uids: [0]}\n`,
    );
    expect(issues).toEqual([
      {
        line: 4,
        key: 'profiles.edge.pinCredential',
        message: expect.stringMatching(/systemd credential name/),
      },
      {
        line: 3,
        key: 'profiles.edge.pkcs11',
        message: expect.stringMatching(/pin-source file .*no-pin cannot be read/),
      },
    ]);
  });

  it('resolves relative file paths from the config file directory', () => {
    const config = parseAgentConfig(
      `profiles:\n${goodProfile().replace(pki.leaf.certPath, pki.leaf.certPath.slice(tmp.path.length + 1))}`,
      source,
      { directory },
    );
    expect(config.profiles.get('edge')?.key).toMatchObject({ certificate: pki.leaf.certPath });
  });
});
