import { describe, expect, it } from 'vitest';
import { updateIniProfile } from '../../../src/credentials/ini-profile';

const SET = {
  aws_access_key_id: 'ASIANEW',
  aws_secret_access_key: 'SECRETNEW',
  aws_session_token: 'TOKENNEW',
};
const UPDATE = { set: SET, replaceIfPresent: { aws_security_token: 'TOKENNEW' } };
const NEW_KEYS =
  'aws_access_key_id = ASIANEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n';

interface Case {
  name: string;
  profile?: string;
  input: string;
  expected: string;
}

const cases: Case[] = [
  { name: 'empty file: the section alone', input: '', expected: `[default]\n${NEW_KEYS}` },
  {
    name: 'profile present: values replaced in place, spacing kept',
    input: '[default]\naws_access_key_id=OLD\naws_secret_access_key = OLD\naws_session_token   =OLD\n',
    expected:
      '[default]\naws_access_key_id=ASIANEW\naws_secret_access_key = SECRETNEW\naws_session_token   =TOKENNEW\n',
  },
  {
    name: 'profile absent: appended after a blank line, other profiles untouched',
    input: '[other]\naws_access_key_id = KEEP\nregion = eu-west-1\n',
    expected: `[other]\naws_access_key_id = KEEP\nregion = eu-west-1\n\n[default]\n${NEW_KEYS}`,
  },
  {
    name: 'profile absent, file without final newline',
    input: '[other]\nregion = x',
    expected: `[other]\nregion = x\n\n[default]\n${NEW_KEYS}`,
  },
  {
    name: 'profile absent, file already ending in a blank line: no second blank',
    input: '[other]\nregion = x\n\n',
    expected: `[other]\nregion = x\n\n[default]\n${NEW_KEYS}`,
  },
  {
    name: 'extra keys kept; a missing key added after the last key of the section',
    input:
      '[default]\nregion = eu-west-1\naws_access_key_id = OLD\naws_secret_access_key = OLD\noutput = json\n\n[b]\nx = 1\n',
    expected:
      '[default]\nregion = eu-west-1\naws_access_key_id = ASIANEW\naws_secret_access_key = SECRETNEW\noutput = json\naws_session_token = TOKENNEW\n\n[b]\nx = 1\n',
  },
  {
    name: 'comments and blank lines kept, inline header comment understood',
    input:
      '# managed by hand\n\n[default] ; main account\n; the keys\naws_access_key_id = OLD\n\n# trailing comment\n[b]\n',
    expected:
      '# managed by hand\n\n[default] ; main account\n; the keys\naws_access_key_id = ASIANEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n\n# trailing comment\n[b]\n',
  },
  {
    name: 'CRLF file: replaced lines keep CRLF, added lines use CRLF',
    input: '[default]\r\naws_access_key_id = OLD\r\nregion = x\r\n',
    expected:
      '[default]\r\naws_access_key_id = ASIANEW\r\nregion = x\r\naws_secret_access_key = SECRETNEW\r\naws_session_token = TOKENNEW\r\n',
  },
  {
    name: 'CRLF file: appended section uses CRLF',
    input: '[a]\r\nx = 1\r\n',
    expected: `[a]\r\nx = 1\r\n\r\n[default]\r\n${NEW_KEYS.replaceAll('\n', '\r\n')}`,
  },
  {
    name: '[profile dev] is another profile in the credentials file: left alone, [dev] appended',
    profile: 'dev',
    input: '[profile dev]\naws_access_key_id = OLD\n',
    expected: `[profile dev]\naws_access_key_id = OLD\n\n[dev]\n${NEW_KEYS}`,
  },
  {
    name: '[dev] and [profile dev] both present: only [dev] changes',
    profile: 'dev',
    input: '[profile dev]\naws_access_key_id = OLD1\n[dev]\naws_access_key_id = OLD2\n',
    expected: `[profile dev]\naws_access_key_id = OLD1\n[dev]\n${NEW_KEYS}`,
  },
  {
    name: 'a profile name that is a prefix of another does not match it',
    profile: 'dev',
    input: '[dev2]\naws_access_key_id = OLD\n',
    expected: `[dev2]\naws_access_key_id = OLD\n\n[dev]\n${NEW_KEYS}`,
  },
  {
    name: 'duplicate sections: every copy updated, missing keys go to the first',
    input:
      '[default]\naws_access_key_id = OLD1\n[other]\nk = v\n[default]\naws_access_key_id = OLD2\naws_session_token = OLD2\n',
    expected:
      '[default]\naws_access_key_id = ASIANEW\naws_secret_access_key = SECRETNEW\n[other]\nk = v\n[default]\naws_access_key_id = ASIANEW\naws_session_token = TOKENNEW\n',
  },
  {
    name: 'keys match case-insensitively (botocore lower-cases them) and keep their spelling',
    input: '[default]\nAWS_ACCESS_KEY_ID = OLD\nAws_Secret_Access_Key = OLD\naws_session_token = OLD\n',
    expected:
      '[default]\nAWS_ACCESS_KEY_ID = ASIANEW\nAws_Secret_Access_Key = SECRETNEW\naws_session_token = TOKENNEW\n',
  },
  {
    name: "':' delimiter (accepted by botocore) kept",
    input: '[default]\naws_access_key_id: OLD\naws_secret_access_key :OLD\naws_session_token = OLD\n',
    expected:
      '[default]\naws_access_key_id: ASIANEW\naws_secret_access_key :SECRETNEW\naws_session_token = TOKENNEW\n',
  },
  {
    name: 'continuation lines of a replaced key are dropped; nested blocks of other keys kept',
    input:
      '[default]\ns3 =\n  max_concurrent_requests = 10\naws_session_token =\n  stale\n  stale2\nregion = x\n',
    expected:
      '[default]\ns3 =\n  max_concurrent_requests = 10\naws_session_token =TOKENNEW\nregion = x\naws_access_key_id = ASIANEW\naws_secret_access_key = SECRETNEW\n',
  },
  {
    name: 'section with a trailing nested block: keys added after the block',
    input: '[default]\ns3 =\n  addressing_style = path\n\n[b]\n',
    expected: `[default]\ns3 =\n  addressing_style = path\n${NEW_KEYS}\n[b]\n`,
  },
  {
    name: 'header-only section: keys added right after the header',
    input: '[default]\n[other]\nk=v\n',
    expected: `[default]\n${NEW_KEYS}[other]\nk=v\n`,
  },
  {
    name: 'target section last, no final newline',
    input: '[default]\naws_access_key_id = OLD',
    expected:
      '[default]\naws_access_key_id = ASIANEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n',
  },
  {
    name: 'replaced value without final newline keeps having none',
    input: '[default]\naws_access_key_id = OLD\naws_secret_access_key = OLD\naws_session_token = OLD',
    expected:
      '[default]\naws_access_key_id = ASIANEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW',
  },
  {
    name: 'the legacy aws_security_token is replaced where present',
    input: '[default]\naws_access_key_id = OLD\naws_secret_access_key = OLD\naws_security_token = OLD\n',
    expected:
      '[default]\naws_access_key_id = ASIANEW\naws_secret_access_key = SECRETNEW\naws_security_token = TOKENNEW\naws_session_token = TOKENNEW\n',
  },
  {
    name: 'the legacy aws_security_token is not added, nor touched in other profiles',
    input: '[other]\naws_security_token = KEEP\n',
    expected: `[other]\naws_security_token = KEEP\n\n[default]\n${NEW_KEYS}`,
  },
  {
    name: 'UTF-8 byte-order mark (as latin1) kept and the first header still found',
    input: '\u00EF\u00BB\u00BF[default]\naws_access_key_id = OLD\n',
    expected:
      '\u00EF\u00BB\u00BF[default]\naws_access_key_id = ASIANEW\naws_secret_access_key = SECRETNEW\naws_session_token = TOKENNEW\n',
  },
  {
    name: '[ default ] is the profile " default " for the SDKs: not ours',
    input: '[ default ]\naws_access_key_id = OLD\n',
    expected: `[ default ]\naws_access_key_id = OLD\n\n[default]\n${NEW_KEYS}`,
  },
  {
    name: 'a commented-out key is not a key',
    input: '[default]\n# aws_access_key_id = OLD\n',
    expected: `[default]\n${NEW_KEYS}# aws_access_key_id = OLD\n`,
  },
];

describe('updateIniProfile', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(updateIniProfile(c.input, c.profile ?? 'default', UPDATE)).toBe(c.expected);
    });
  }

  it('is idempotent: a second update with the same values changes nothing', () => {
    for (const c of cases) {
      const once = updateIniProfile(c.input, c.profile ?? 'default', UPDATE);
      expect(updateIniProfile(once, c.profile ?? 'default', UPDATE)).toBe(once);
    }
  });

  it('keeps every byte outside the target section', () => {
    const before = '[a]\nk = \u00FF\u00FE stray bytes\t \n;c\n';
    const after = '\n[c]\r\nz = 1\n';
    const out = updateIniProfile(`${before}[default]\naws_access_key_id = OLD\n${after}`, 'default', UPDATE);
    expect(out.startsWith(`${before}[default]\n`)).toBe(true);
    expect(out.endsWith(after)).toBe(true);
  });

  it('refuses profile names that would break the file or be read as another profile', () => {
    for (const bad of ['', ' default', 'default ', 'a]b', '[a', 'a\nb', 'a\r', 'x;y', 'x#y']) {
      expect(() => updateIniProfile('', bad, UPDATE)).toThrow(
        expect.objectContaining({ code: 'INVALID_PROFILE' }),
      );
    }
  });

  it('refuses empty or multi-line values without quoting them', () => {
    for (const value of ['', 'a\nb', 'a b', 'a\r']) {
      let error: unknown;
      try {
        updateIniProfile('', 'default', { set: { ...SET, aws_session_token: value } });
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      if (value) expect((error as Error).message).not.toContain(value);
    }
  });
});
