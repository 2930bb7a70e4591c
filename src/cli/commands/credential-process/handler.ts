import { formatProcessOutput } from '../../../credentials/process-output';
import { createSession } from '../../../rolesanywhere';
import { type AgentSourceArgs, processOutputFromAgent, usesAgent } from '../../options/agent-source';
import { type KeySourceArgs, signerFromArgs } from '../../options/key-source';
import { type SessionArgs, sessionOptionsFromArgs } from '../../options/session';

export async function run(args: KeySourceArgs & SessionArgs & AgentSourceArgs): Promise<void> {
  if (usesAgent(args)) {
    process.stdout.write(await processOutputFromAgent(args));
    return;
  }
  const signer = await signerFromArgs(args);
  try {
    const credentials = await createSession(sessionOptionsFromArgs(args, signer));
    // stdout carries the JSON and nothing else: the SDK parses it whole.
    process.stdout.write(formatProcessOutput(credentials));
  } finally {
    await signer.close();
  }
}
