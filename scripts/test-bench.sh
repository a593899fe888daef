#!/usr/bin/env bash
# CI: the four implementations of the benchmark workload agree on 2,000 referrals, and the
# rule files in rules/bench pass their own tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo run -q -p thresholds-cli -- test rules/bench
scripts/bench.sh --quick
