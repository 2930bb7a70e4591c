// Entry of the CLI's V8 startup snapshot (dist/cli.blob, built by scripts/build-snapshot.mjs).
// The CLI, yargs and the key-file credential path (@peculiar/x509, asn1, tsyringe, the
// CreateSession client) are evaluated, and run once (warm-up), while the snapshot is built; a
// run only deserializes them. Whatever touches what a snapshot cannot hold (sockets, node:http,
// native addons) stays lazy and loads when first used.
import { dirname, resolve } from 'node:path';
import { startupSnapshot } from 'node:v8';
import '../../signer/from-file';
import '../commands/credential-process/handler';
import { main } from '../main';
import { setLocation } from './snapshot-runtime';
import { warmUp } from './warm-up';

/**
 * bin/rolesanywhere-agent runs `node --snapshot-blob dist/cli.blob -- <itself> <args>`, so
 * process.argv is [node, launcher, ...args], as for a script.
 */
async function run(): Promise<void> {
  const launcher = process.argv[1];
  if (launcher) {
    // Absolute, as node makes a script's path.
    process.argv[1] = resolve(launcher);
    setLocation(resolve(dirname(launcher), '..', 'dist', 'cli.js'));
  }
  process.exitCode = await main(process.argv.slice(2));
}

if (startupSnapshot.isBuildingSnapshot()) {
  void warmUp().then(() => startupSnapshot.setDeserializeMainFunction(() => void run()));
} else {
  // Run as a plain script (node dist/cli-snapshot.cjs ...), as when debugging the bundle.
  void run();
}
