#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer, AddressSanitizer) of every target in fuzz/.
#
#   scripts/fuzz.sh --smoke            each target for FUZZ_SECONDS (default 60) s: the test command
#   scripts/fuzz.sh --long [SECONDS]   each target for SECONDS (default 1800) s, 1 s hang limit
#   scripts/fuzz.sh --build            build the targets only
#   scripts/fuzz.sh --smoke rules fmt  only the targets named
#
# The smoke run builds every target with AddressSanitizer. The long run builds the targets over
# safe Rust only (the core forbids `unsafe`) without a sanitizer, for several times the inputs per
# second, and keeps AddressSanitizer for the C ABI target, where the unsafe code is.
# Seeds are in fuzz/corpus/<target>/ (committed); what a run learns goes to
# target/fuzz/corpus/<target>/ and crashes to target/fuzz/artifacts/<target>/ (not committed).
# Reproduce a crash: scripts/fuzz.sh --repro <target> <file>. Prints the inputs each target ran
# and their total. Installs the nightly toolchain and cargo-fuzz when missing (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.tools/bin:$HOME/.cargo/bin:$PATH"

CARGO_FUZZ_VERSION=0.13.2
TARGETS=(rules facts fmt c_abi differential precompiled)

mode=${1:---smoke}
shift || true
seconds=${FUZZ_SECONDS:-60}
timeout=3
case "$mode" in
  --smoke) ;;
  --long)
    if [[ ${1:-} =~ ^[0-9]+$ ]]; then seconds=$1; shift; else seconds=1800; fi
    timeout=1
    ;;
  --build | --repro) ;;
  *) echo "usage: scripts/fuzz.sh --smoke|--long [SECONDS]|--build|--repro TARGET FILE [TARGET...]" >&2; exit 2 ;;
esac

# The nightly toolchain cargo-fuzz needs (sanitizers, coverage instrumentation).
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if [[ "$(cargo-fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root "$root/.tools"
fi

# The sanitizer a target is built with in this mode.
sanitizer_of() {
  if [[ "$mode" == --long && "$1" != c_abi ]]; then echo none; else echo address; fi
}
# cargo fuzz with one build directory per sanitizer, so switching does not rebuild.
fuzz() {
  local cmd=$1 san=$2
  shift 2
  cargo +nightly fuzz "$cmd" --sanitizer "$san" --target-dir "target/fuzz/build-$san" "$@"
}

if [[ "$mode" == --repro ]]; then
  target=$1 file=$2
  fuzz run address "$target" "$file"
  exit
fi

if [[ $# -gt 0 ]]; then TARGETS=("$@"); fi
mkdir -p target/fuzz
for san in $(for t in "${TARGETS[@]}"; do sanitizer_of "$t"; done | sort -u); do
  if ! fuzz build "$san" >"target/fuzz/build-$san.log" 2>&1; then
    tail -40 "target/fuzz/build-$san.log"
    echo "fuzz: the targets do not build (sanitizer $san)"; exit 1
  fi
done
[[ "$mode" == --build ]] && exit 0

dict_of() {
  case "$1" in
    rules | fmt) echo fuzz/dict/rules.dict ;;
    facts | c_abi) echo fuzz/dict/facts.dict ;;
    *) echo "" ;;
  esac
}
max_len_of() {
  case "$1" in
    rules | fmt | c_abi) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

total=0
failed=()
for t in "${TARGETS[@]}"; do
  work=target/fuzz/corpus/$t
  artifacts=target/fuzz/artifacts/$t
  mkdir -p "$work" "$artifacts"
  log=target/fuzz/$t.log
  args=(-max_total_time="$seconds" -timeout="$timeout" -max_len="$(max_len_of "$t")"
    -artifact_prefix="$artifacts/" -print_final_stats=1)
  dict=$(dict_of "$t")
  [[ -n "$dict" ]] && args+=(-dict="$dict")
  printf 'fuzz %-13s %4ss ... ' "$t" "$seconds"
  if fuzz run "$(sanitizer_of "$t")" "$t" "$work" "fuzz/corpus/$t" -- "${args[@]}" >"$log" 2>&1; then
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    echo "ok: ${runs:-?} inputs, ${cov:-cov: ?}"
    total=$((total + ${runs:-0}))
  else
    echo "FAILED (log: $log)"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written|timeout' "$log" | head -20
    failed+=("$t")
  fi
done
echo "fuzz: $total inputs in all"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: failures in ${failed[*]}; reproduce with scripts/fuzz.sh --repro TARGET FILE"
  exit 1
fi
