#!/usr/bin/env bash
# Everything CI checks: set-up, lint and format, types, build, then every test. Ends with the
# runner's summary and one plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "== lint and format (biome)"
npx biome check .
echo "== types (tsc)"
npx tsc --noEmit -p .
echo "== tests (vitest)"
results=$(mktemp)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results" || echo "vitest: 0 passed, 1 failed"
rm -f "$results"
exit "$status"
