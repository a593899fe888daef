#!/usr/bin/env bash
# Runs every test suite: Rust (core, CLI, conformance vectors, rule files), a fuzz smoke run, then
# each binding's suite (Python, C, WebAssembly + browser) and the benchmark agreement check.
# Installs what is missing first (idempotent), so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$HOME/.cargo/bin:$PATH"

section() { printf '\n==== %s ====\n' "$*"; }

section "Rust: fmt, clippy, tests"
cargo fmt --all -- --check
# The bench crate (with its peers) is linted by scripts/test-bench.sh.
cargo clippy --workspace --exclude thresholds-bench --all-targets --quiet -- -D warnings
# The engine without the parser, as the browser's checker build compiles it.
cargo clippy -p thresholds --no-default-features --quiet -- -D warnings
mkdir -p target
# Default members: core, CLI and the conformance runner (bindings are tested by their own scripts).
if ! cargo test 2>&1 | tee target/rust-tests.log | grep -E '^(test result|running|test .* FAILED|failures:)'; then
  :
fi
if grep -qE 'test result: FAILED|^error(\[|:)' target/rust-tests.log || ! grep -q 'test result: ok' target/rust-tests.log; then
  tail -50 target/rust-tests.log
  echo "Rust tests failed"; exit 1
fi

section "Rule files: check, tests and coverage"
cargo run -q -p thresholds-cli -- check rules/
cargo build -q --release -p thresholds-cli
thr=target/release/thresholds
$thr test --coverage rules/threshold rules/serious-incident rules/examples/seraf.thr rules/examples/tour
$thr test rules/
$thr fmt --check rules/
# Proofs over each rule set (monotonicity, reachability, shadowing, bands, coverage).
for rules in rules/threshold rules/serious-incident rules/examples/seraf.thr rules/examples/tour; do
  $thr analyze "$rules"
done
$thr eval --facts examples/referrals/01-school-absence-early-help.json

section "Fuzz smoke: every target for ${FUZZ_SECONDS:-60} s"
scripts/fuzz.sh --smoke

for part in python c wasm web bench; do
  if [[ -x scripts/test-$part.sh ]]; then
    section "$part"
    scripts/test-$part.sh
  fi
done
section "all suites passed"
