#!/usr/bin/env bash
# The benchmark: the workload of rules/bench written four ways (Thresholds, hand-written Rust,
# Rego on regorus, JDM on zen-engine). Fails if any two disagree on any referral.
#   scripts/bench.sh            agreement on 20,000 referrals, then the timing table (release build)
#   scripts/bench.sh --quick    agreement only, on 2,000 referrals
#   scripts/bench.sh --sparse   only the sparse tables: the shipped rules, `missing` on and off
# Other arguments go to the benchmark: --n N, --seed S, --passes P, --stream N.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo run -q --release -p thresholds-bench -- "$@"
