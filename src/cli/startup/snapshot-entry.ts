// Entry of the CLI's V8 startup snapshot (dist/cli.blob, built by scripts/build-snapshot.mjs).
// The CLI, yargs and the key-file credential path (the CreateSession client, node:net) are
// evaluated, run once (warm-up), and the CLI's parser made, while the snapshot is built; a run
// only deserializes them and parses its arguments. Whatever touches what a snapshot cannot hold
// (node:http, native addons) stays lazy and loads when first used.
import { dirname, resolve } from 'node:path';
import { startupSnapshot } from 'node:v8';
import type { Argv } from 'yargs';
import '../../signer/from-file';
import '../commands/credential-process/handler';
import { createCli } from '../create-cli';
import { main } from '../main';
import { setLocation } from './snapshot-runtime';
import { warmUp } from './warm-up';

/** The CLI's parser, made while the snapshot is built: a run skips setting yargs up. */
let parser: Argv | undefined;

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
  process.exitCode = await main(process.argv.slice(2), parser);
  // The snapshot's commands run once and are done here. Once stdout holds nothing unwritten (a
  // pipe takes a short output at once), exit: tearing the deserialized heap down costs ~2 ms.
  if (process.stdout.writableLength === 0) process.exit();
}

if (startupSnapshot.isBuildingSnapshot()) {
  void warmUp().then(() => {
    parser = createCli([]);
    startupSnapshot.setDeserializeMainFunction(() => void run());
  });
} else {
  // Run as a plain script (node dist/cli-snapshot.cjs ...), as when debugging the bundle.
  void run();
}
