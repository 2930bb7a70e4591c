import { describe, expect, it } from 'vitest';
import { formatDebug } from '../../../src/cli/options/session';

describe('formatDebug (the --debug writer of the credential commands)', () => {
  it('prefixes every line, so a multi-line message (a canonical request) stays attributable in a log', () => {
    expect(formatDebug('canonical request:\nPOST\n/sessions\n\nhost')).toBe(
      'debug: canonical request:\ndebug:   POST\ndebug:   /sessions\ndebug:   \ndebug:   host\n',
    );
    expect(formatDebug('one line')).toBe('debug: one line\n');
  });
});
