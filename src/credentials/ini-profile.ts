import { AgentError } from '../errors';

/**
 * Sets keys of one section of an AWS shared credentials file, changing nothing else.
 *
 * The text is handled byte for byte: callers pass it decoded as latin1 (one char per byte), so
 * any encoding, a BOM or stray bytes survive untouched. Rules, matching how botocore and the
 * JS SDK read the credentials file:
 * - a section is `[name]` with exactly the profile name inside; `[profile name]` is the config
 *   file's spelling and in the credentials file names a different profile, so it is left alone;
 * - keys match case-insensitively (botocore lower-cases them), `=` or `:` as delimiter; the
 *   value is replaced in place, keeping the key's spelling and spacing and the line's ending;
 *   indented continuation lines of a replaced key belong to its old value and are dropped;
 * - keys missing from the section are added after its last key (or after the header);
 * - duplicate sections: every one is updated (the JS SDK merges them, later keys winning), and
 *   missing keys go into the first; botocore refuses such files altogether;
 * - no section: it is appended, after a blank line, with the file's line ending (CRLF files
 *   stay CRLF; LF is the default).
 */
export interface IniUpdate {
  /** Keys to set, added when missing. */
  set: Readonly<Record<string, string>>;
  /** Keys to replace only where present (e.g. the legacy aws_security_token). */
  replaceIfPresent?: Readonly<Record<string, string>>;
}

interface Line {
  text: string;
  eol: string;
}

function splitLines(content: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < content.length) {
    const newline = content.indexOf('\n', start);
    if (newline === -1) {
      lines.push({ text: content.slice(start), eol: '' });
      break;
    }
    const crlf = newline > start && content[newline - 1] === '\r';
    lines.push({ text: content.slice(start, crlf ? newline - 1 : newline), eol: crlf ? '\r\n' : '\n' });
    start = newline + 1;
  }
  return lines;
}

/** The name inside `[...]`, after an inline comment is cut as the JS SDK does; else undefined. */
function sectionName(text: string): string | undefined {
  // A UTF-8 byte-order mark, seen as latin1 characters.
  const trimmed = text.replace(/^\u00EF\u00BB\u00BF/, '').trim();
  if (!trimmed.startsWith('[')) return undefined;
  const withoutComment = trimmed.split(/\s[;#]/)[0]?.trimEnd() ?? '';
  if (!withoutComment.endsWith(']') || withoutComment.length < 2) return undefined;
  return withoutComment.slice(1, -1);
}

const KEY_LINE = /^([ \t]*)([^=:\s;#[][^=:]*?)([ \t]*[=:][ \t]*)(.*)$/;

function indentOf(text: string): number {
  return /^[ \t]*/.exec(text)?.[0].length ?? 0;
}

function isBlankOrComment(text: string): boolean {
  const trimmed = text.trim();
  return trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';');
}

export function checkProfileName(profile: string): void {
  if (profile === '' || profile.trim() !== profile || /[[\]\r\n#;]/.test(profile)) {
    throw new AgentError(
      'INVALID_PROFILE',
      `invalid credentials-file profile name ${JSON.stringify(profile)}`,
      {
        hint: 'use a name without brackets, ; or #, line breaks or surrounding spaces, e.g. --profile default',
      },
    );
  }
}

function checkValue(key: string, value: string): void {
  // Credentials are printable ASCII without spaces; anything else would corrupt the file.
  if (!/^[A-Za-z0-9_.-]+$/.test(key) || !/^[\x21-\x7e]+$/.test(value)) {
    // Never quote the value: it may be a secret.
    throw new AgentError(
      'INVALID_CREDENTIALS',
      `refusing to write an empty or non-printable value for ${key}`,
      {
        hint: 'this is a bug: the credentials to write are malformed',
      },
    );
  }
}

/** `content` and `profile` as latin1 strings (bytes); returns the new content the same way. */
export function updateIniProfile(content: string, profile: string, update: IniUpdate): string {
  checkProfileName(profile);
  const optional = update.replaceIfPresent ?? {};
  for (const [key, value] of Object.entries({ ...update.set, ...optional })) checkValue(key, value);
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(optional)) values.set(key.toLowerCase(), value);
  for (const [key, value] of Object.entries(update.set)) values.set(key.toLowerCase(), value);

  const lines = splitLines(content);
  const eol = lines.find((line) => line.eol !== '')?.eol ?? '\n';
  const out: Line[] = [];
  const seen = new Set<string>();
  let inTarget = false;
  let firstTargetEnd = -1; // index in `out` after which missing keys go
  let targetCount = 0;
  let keyIndent = -1; // indent of the last key line in a section; continuation lines are deeper
  let dropping = false; // inside the continuation lines of a replaced key

  for (const line of lines) {
    const name = sectionName(line.text);
    if (name !== undefined) {
      inTarget = name === profile;
      keyIndent = -1;
      dropping = false;
      out.push(line);
      if (inTarget) {
        targetCount += 1;
        if (targetCount === 1) firstTargetEnd = out.length - 1;
      }
      continue;
    }
    const blank = line.text.trim() === '';
    const continuation = !blank && keyIndent >= 0 && indentOf(line.text) > keyIndent;
    if (continuation) {
      if (!dropping) {
        out.push(line);
        if (inTarget && targetCount === 1) firstTargetEnd = out.length - 1;
      }
      continue;
    }
    dropping = false;
    if (blank) keyIndent = -1;
    const match = isBlankOrComment(line.text) ? null : KEY_LINE.exec(line.text);
    if (match) keyIndent = indentOf(line.text);
    const key = match?.[2]?.trim().toLowerCase();
    const value = key === undefined ? undefined : values.get(key);
    if (inTarget && match && key !== undefined && value !== undefined) {
      seen.add(key);
      dropping = true;
      out.push({ text: `${match[1]}${match[2]}${match[3]}${value}`, eol: line.eol });
    } else {
      out.push(line);
    }
    if (inTarget && targetCount === 1 && match) firstTargetEnd = out.length - 1;
  }

  const missing = Object.entries(update.set).filter(([key]) => !seen.has(key.toLowerCase()));
  const added = missing.map(([key, value]) => ({ text: `${key} = ${value}`, eol }));
  if (targetCount > 0) {
    if (added.length > 0) {
      const after = out[firstTargetEnd];
      if (after && after.eol === '') after.eol = eol;
      out.splice(firstTargetEnd + 1, 0, ...added);
    }
  } else {
    const last = out[out.length - 1];
    if (last) {
      if (last.eol === '') last.eol = eol;
      if (last.text.trim() !== '') out.push({ text: '', eol });
    }
    out.push({ text: `[${profile}]`, eol }, ...added);
  }
  return out.map((line) => line.text + line.eol).join('');
}
