#!/usr/bin/env bash
# The in-browser referral checker: builds the WebAssembly package and the CLI (the reference for
# expected decisions), builds web/dist/, installs Debian's Chromium and the npm test tools if missing, then runs
# the Playwright tests (web/tests/) under `node --test`. Artefacts: artifacts/web-checker*.png,
# artifacts/web-timings.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/wasm}"

scripts/build-web.sh
cargo build -q -p thresholds-cli
export THR_CLI="$CARGO_TARGET_DIR/debug/thresholds"

if [[ ! -x /usr/bin/chromium ]]; then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium
fi
if [[ ! -d web/node_modules/playwright-core || web/package-lock.json -nt web/node_modules/.package-lock.json ]]; then
  (cd web && npm ci --no-audit --no-fund)
fi

mkdir -p artifacts
node --test --test-reporter=spec web/tests/
