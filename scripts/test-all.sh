#!/usr/bin/env bash
# Runs every test suite: Rust (core, CLI, conformance vectors, rule files), then each binding's
# suite (Python, C, WebAssembly + browser) and the benchmark agreement check.
# Installs what is missing first (idempotent), so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$HOME/.cargo/bin:$PATH"

section() { printf '\n==== %s ====\n' "$*"; }

section "Rust: fmt, clippy, tests"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace 2>&1 | tee target/rust-tests.log | grep -E '^(test result|vectors:|running)' || true
if grep -q 'test result: FAILED\|error\[' target/rust-tests.log || ! grep -q 'test result: ok' target/rust-tests.log; then
  echo "Rust tests failed"; exit 1
fi

section "Rule files: check, tests and coverage"
cargo run -q -p thresholds-cli -- check rules/
cargo run -q -p thresholds-cli -- test --coverage rules/threshold
cargo run -q -p thresholds-cli -- test rules/
cargo run -q -p thresholds-cli -- fmt --check rules/

for part in python c wasm web bench; do
  if [[ -x scripts/test-$part.sh ]]; then
    section "$part"
    scripts/test-$part.sh
  fi
done
section "all suites passed"
