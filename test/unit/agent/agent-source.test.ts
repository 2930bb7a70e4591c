import { describe, expect, it } from 'vitest';
import { agentSourceCheck, sessionOptionsUnlessAgent } from '../../../src/cli/options/agent-source';
import { sessionOptions } from '../../../src/cli/options/session';

const arns = { 'trust-anchor-arn': 'a', 'profile-arn': 'p', 'role-arn': 'r' };

describe('credential-process --agent flags', () => {
  it('keeps every session flag but demands none (the check does, unless --agent)', () => {
    expect(Object.keys(sessionOptionsUnlessAgent)).toEqual(Object.keys(sessionOptions));
    for (const option of Object.values(sessionOptionsUnlessAgent))
      expect('demandOption' in option).toBe(false);
    expect(sessionOptionsUnlessAgent['role-arn'].describe).toMatch(/\(required without --agent\)$/);
  });

  it('accepts --agent with --profile, and the ARNs without --agent', () => {
    expect(agentSourceCheck({ agent: '', profile: 'edge' })).toBe(true);
    expect(agentSourceCheck({ agent: '/run/a.sock', profile: 'edge' })).toBe(true);
    expect(agentSourceCheck({ ...arns, certificate: 'c.pem' })).toBe(true);
  });

  it.each([
    [{ agent: '' }, '--agent needs --profile NAME (the agent profile to read)'],
    [{ agent: '', profile: '' }, '--agent needs --profile NAME (the agent profile to read)'],
    [
      { agent: '', profile: 'edge', certificate: 'c.pem', 'role-arn': 'r' },
      "--agent takes the key and the session from the agent's profile: leave out --role-arn, --certificate",
    ],
    [{ ...arns, profile: 'edge' }, '--profile is only used with --agent'],
    [{ 'trust-anchor-arn': 'a' }, 'Missing required arguments: profile-arn, role-arn'],
    [{ 'trust-anchor-arn': 'a', 'profile-arn': 'p' }, 'Missing required argument: role-arn'],
  ])('refuses %j', (argv, message) => {
    expect(() => agentSourceCheck(argv)).toThrow(message);
  });
});
