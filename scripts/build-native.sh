#!/usr/bin/env bash
# Builds native-bindings/: the N-API addon (build/Release/ra_native.node, through node-gyp and
# Node's own local headers, never downloaded) and the C client build/ra-credential-process.
# Idempotent: make rebuilds only what changed, so an up-to-date run takes a few milliseconds.
# Safe to run concurrently (parallel test files call it): the build is under a lock.
set -euo pipefail
cd "$(dirname "$0")/../native-bindings"

# node-gyp: the project's own if installed, else the one on PATH (npm puts its bundled copy there
# for scripts it runs), else npm's bundled copy found next to npm itself.
find_node_gyp() {
  if [ -x ../node_modules/.bin/node-gyp ]; then echo "$PWD/../node_modules/.bin/node-gyp"; return; fi
  if command -v node-gyp >/dev/null 2>&1; then command -v node-gyp; return; fi
  local npm_cli
  npm_cli="$(readlink -f "$(command -v npm)")"
  local bundled
  bundled="$(dirname "$npm_cli")/../node_modules/node-gyp/bin/node-gyp.js"
  if [ -f "$bundled" ]; then echo "node $(readlink -f "$bundled")"; return; fi
  echo "error: node-gyp not found (neither in node_modules, on PATH, nor bundled with npm)" >&2
  echo "hint: npm install --save-dev node-gyp" >&2
  exit 1
}

mkdir -p build
exec 9>build/.lock
# flock is util-linux (Linux); elsewhere builds are simply not serialized.
if command -v flock >/dev/null 2>&1; then flock 9; fi

# Cheap check first, so an up-to-date tree does not even look for node-gyp.
if make --question all >/dev/null 2>&1; then
  exit 0
fi
make --no-print-directory all NODE_GYP="$(find_node_gyp)"
