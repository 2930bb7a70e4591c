import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { canPrompt } from '../../../src/pkcs11/pin-prompt';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('ra-pin-prompt-');
afterAll(() => tmp.remove());

// Runs promptHidden in a child process on a real pseudo-terminal (Python's pty module), types
// `keys`, and returns what the terminal showed, what went to stdout and the answer.
function onTerminal(keys: string) {
  const script = join(tmp.path, 'prompt.mjs');
  const answerFile = join(tmp.path, 'answer.json');
  const stdoutFile = join(tmp.path, 'stdout.txt');
  rmSync(answerFile, { force: true });
  buildSync({
    stdin: {
      contents: `import { writeFileSync } from 'node:fs';
import { promptHidden } from './src/pkcs11/pin-prompt';
promptHidden('PIN for token "ra-test": ').then(
  (pin) => writeFileSync(process.argv[2], JSON.stringify({ pin })),
  (error) => writeFileSync(process.argv[2], JSON.stringify({ code: error.code })),
);`,
      resolveDir: resolve(import.meta.dirname, '../../..'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'error',
  });
  const driver = join(tmp.path, 'driver.py');
  writeFileSync(
    driver,
    `import os, pty, sys, time, select
script, answer, stdout_file, keys = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    out = os.open(stdout_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.execvp(${JSON.stringify(process.execPath)}, [${JSON.stringify(process.execPath)}, script, answer])
seen = b''
deadline = time.time() + 20
typed = False
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    if not typed and b'PIN for' in seen:
        os.write(fd, keys.encode())
        typed = True
os.waitpid(pid, 0)
sys.stdout.write(seen.decode('utf-8', 'replace'))
`,
  );
  const terminal = execFileSync('python3', [driver, script, answerFile, stdoutFile, keys], {
    timeout: 30_000,
  }).toString();
  return {
    terminal,
    stdout: readFileSync(stdoutFile, 'utf8'),
    answer: JSON.parse(readFileSync(answerFile, 'utf8')) as { pin?: string; code?: string },
  };
}

describe('promptHidden on a terminal', () => {
  it('asks on stderr, does not echo, handles backspace, ends at Enter', () => {
    const { terminal, stdout, answer } = onTerminal('s3cr\u007fet\r');
    expect(answer).toEqual({ pin: 's3cet' });
    expect(terminal).toContain('PIN for token "ra-test": ');
    for (const typed of ['s3c', 'et']) expect(terminal).not.toContain(typed);
    expect(stdout).toBe('');
  });

  it('treats Ctrl-C as a cancelled entry (PIN_REQUIRED)', () => {
    expect(onTerminal('12\u0003').answer).toEqual({ code: 'PIN_REQUIRED' });
  });

  it('does not prompt without a terminal', () => {
    // Under vitest stdin is not a TTY.
    expect(canPrompt()).toBe(false);
  });
});
