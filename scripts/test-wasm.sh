#!/usr/bin/env bash
# The WebAssembly binding: builds bindings-wasm/pkg/ (browsers) and bindings-wasm/pkg-node/
# (Node.js) with the sizes, checks the committed TypeScript declarations for drift and
# type-checks a typed example against them, then runs every conformance vector and the API
# tests under `node --test`. THR_TEST=substr filters the vectors.
set -euo pipefail
cd "$(dirname "$0")/.."

bindings-wasm/build.sh

echo "== TypeScript declarations"
if ! diff -u bindings-wasm/thresholds_wasm.d.ts bindings-wasm/pkg/thresholds_wasm.d.ts; then
  echo "bindings-wasm/thresholds_wasm.d.ts is out of date: copy bindings-wasm/pkg/thresholds_wasm.d.ts over it"
  exit 1
fi
bindings-wasm/node_modules/.bin/tsc -p bindings-wasm/tests/types/tsconfig.json
echo "tsc --noEmit: ok"

echo "== npm pack, installed into a scratch project"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd bindings-wasm && npm pack --silent --pack-destination "$scratch" >/dev/null)
(cd "$scratch" && npm init -y >/dev/null && npm install --offline --no-audit --no-fund --silent ./thresholds-wasm-*.tgz)
node bindings-wasm/pack-check.mjs "$scratch"

echo "== node --test (conformance vectors and API)"
node --test --test-reporter=spec bindings-wasm/tests/
