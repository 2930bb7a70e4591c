import { AgentError } from '../errors';

/** True when a PIN can be asked for: both the keyboard side (stdin) and stderr are a terminal. */
export function canPrompt(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): boolean {
  return input.isTTY === true && output.isTTY === true && typeof input.setRawMode === 'function';
}

/**
 * Asks for a secret on the terminal without echoing it: the question goes to stderr (stdout
 * may be a credential_process pipe), the input is read in raw mode up to Enter.
 */
export function promptHidden(
  question: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const wasRaw = input.isRaw;
    const finish = (error?: AgentError) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || (char === '\u0004' && answer === '')) {
          return finish(
            new AgentError('PIN_REQUIRED', 'pin entry cancelled', { hint: 'type the PIN and press Enter' }),
          );
        }
        if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1);
        else if (char >= ' ') answer += char;
      }
    };
    // Raw mode first: keys typed as soon as the question shows must not be echoed.
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
    output.write(question);
  });
}
