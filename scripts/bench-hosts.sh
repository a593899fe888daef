#!/usr/bin/env bash
# Across hosts, the same referrals: the bench workload (rules/bench) evaluated per referral from
# Rust (Ruleset::evaluate_json_str), Python (evaluate(dict) per call; evaluate_frame per row, on
# every core and on one thread), the C ABI (thr_ruleset_evaluate_json, static library) and the
# wasm package under Node (evaluateJson). Options are the defaults everywhere (reasons and missing
# on). Fails unless every host gives the same decision for the first SAMPLE referrals (byte-equal
# decision JSON; evaluate_frame's level, pathways, status and missing fact ids). Prints the median
# of PASSES interleaved passes over all referrals with min–max, in µs per referral, and each
# host's ratio to the Rust JSON entry point.
#   scripts/bench-hosts.sh [--n N] [--seed S] [--passes P] [--sample K]
# Builds everything from this checkout into $CARGO_TARGET_DIR (default target/bench); needs gcc,
# node and python3 (maturin and pandas go into a venv under $CARGO_TARGET_DIR/hosts).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.tools/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/bench}
N=5000 SEED=20260601 PASSES=5 SAMPLE=200
while [[ $# -gt 0 ]]; do
  case $1 in
    --n) N=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --passes) PASSES=$2; shift 2 ;;
    --sample) SAMPLE=$2; shift 2 ;;
    *) echo "usage: $0 [--n N] [--seed S] [--passes P] [--sample K]" >&2; exit 2 ;;
  esac
done
work=$CARGO_TARGET_DIR/hosts
rules=(rules/bench/*.thr)
mkdir -p "$work"
step() { printf -- '-- %s\n' "$*" >&2; }

# A venv of its own (maturin, pandas), made once: scripts/test-python.sh remakes .venv-test
# from scratch on every run, so it cannot be read while it may be rebuilt.
VENV=$work/venv
if ! "$VENV/bin/python" -c 'import pandas' 2>/dev/null || [[ ! -x $VENV/bin/maturin ]]; then
  step "making $VENV (maturin, pandas)"
  rm -rf "$VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet "maturin>=1.5,<2" "pandas>=1.5" "numpy>=1.22"
fi

step "building (release): bench, C library, Python extension, wasm package"
nice -n 19 cargo build -q --release -p thresholds-bench -p thresholds-c
bench=$CARGO_TARGET_DIR/release/thresholds-bench
native=$(nice -n 19 cargo rustc --release --quiet -p thresholds-c --crate-type staticlib -- \
  --print native-static-libs 2>&1 | sed -n 's/.*native-static-libs: //p' | tail -n 1)
# shellcheck disable=SC2086 # the native libraries are separate words
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Ibindings-c/include bench/hosts/host_c.c \
  "$CARGO_TARGET_DIR/release/libthresholds.a" $native -o "$work/host_c"
# The wheel, unpacked into its own directory and put first on PYTHONPATH.
rm -rf "$work/wheels" "$work/py"
nice -n 19 "$VENV/bin/maturin" build --release --quiet -m bindings-python/Cargo.toml \
  --target-dir "$CARGO_TARGET_DIR" -o "$work/wheels" -i "$VENV/bin/python" >&2
"$VENV/bin/python" -m zipfile -e "$work"/wheels/thresholds-*.whl "$work/py"
# The Node package as bindings-wasm/build.sh makes it, but into $work/pkg-node.
CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
CARGO_PROFILE_RELEASE_PANIC=abort \
  nice -n 19 cargo build -q -p thresholds-wasm --target wasm32-unknown-unknown --release
rm -rf "$work/pkg-node"
wasm-bindgen --target nodejs --out-dir "$work/pkg-node" \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/thresholds_wasm.wasm"
if [[ -x bindings-wasm/node_modules/.bin/wasm-opt ]]; then
  bindings-wasm/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-reference-types --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    "$work/pkg-node/thresholds_wasm_bg.wasm" -o "$work/pkg-node/thresholds_wasm_bg.wasm"
fi

lines=$work/referrals.jsonl
step "generating $N referrals (seed $SEED) into $lines"
"$bench" --emit-referrals "$lines" --n "$N" --seed "$SEED"

# Each host: NAME and a command printing one pass total (ns) a line; samples in $work/NAME.out.
hosts=(rust python-evaluate python-frame python-frame-1thread c-abi wasm-node)
run_host() {
  local name=$1 s=$work/$1.out
  case $name in
    rust) "$bench" --time-json "$lines" --passes "$PASSES" --sample "$SAMPLE" --sample-out "$s" ;;
    python-evaluate | python-frame | python-frame-1thread)
      local mode=evaluate
      [[ $name == python-frame ]] && mode=frame
      [[ $name == python-frame-1thread ]] && mode=frame1
      PYTHONPATH=$work/py "$VENV/bin/python" bench/hosts/host_python.py "$mode" rules/bench "$lines" \
        "$PASSES" "$SAMPLE" "$s" "$work/$name.frame" ;;
    c-abi) "$work/host_c" "$lines" "$PASSES" "$SAMPLE" "$s" "${rules[@]}" ;;
    wasm-node) node bench/hosts/host_node.mjs "$work/pkg-node" "$lines" "$PASSES" "$SAMPLE" "$s" "${rules[@]}" ;;
  esac
}
# Interleaved: each round runs every host once (one untimed pass, then one timed pass), so that
# machine noise falls on all hosts alike.
for h in "${hosts[@]}"; do : >"$work/$h.ns"; done
for ((round = 1; round <= PASSES; round++)); do
  step "round $round of $PASSES: ${hosts[*]} over $N referrals"
  for h in "${hosts[@]}"; do
    PASSES=1 run_host "$h" >>"$work/$h.ns"
  done
done

"$VENV/bin/python" - "$work" "$N" "$SAMPLE" "$(nproc)" "${hosts[@]}" <<'PY'
import json, statistics, sys
work, n, sample, cores, hosts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
read = lambda p: open(p, encoding="utf-8").read().splitlines()
ref = read(f"{work}/rust.out")
bad = 0
if len(ref) != min(sample, n):
    print(f"rust wrote {len(ref)} sample decisions, expected {min(sample, n)}", file=sys.stderr); bad += 1
for h in ("python-evaluate", "c-abi", "wasm-node"):
    got = read(f"{work}/{h}.out")
    diff = [i for i, (a, b) in enumerate(zip(ref, got)) if a != b]
    if len(got) != len(ref) or diff:
        bad += 1
        i = diff[0] if diff else min(len(got), len(ref))
        print(f"{h} differs from rust at line {i + 1} ({len(diff)} of {len(ref)} differ)", file=sys.stderr)
        if diff:
            print(f"  rust: {ref[i]}\n  {h}: {got[i]}", file=sys.stderr)
for h in ("python-frame", "python-frame-1thread"):
    got = [json.loads(x) for x in read(f"{work}/{h}.frame")]
    want = []
    for x in ref:
        d = json.loads(x)
        want.append({"level": d.get("level"), "pathways": d.get("pathways"), "status": d.get("status"),
                     "missing": [m["fact"] if isinstance(m, dict) else m for m in d.get("missing", [])]})
    diff = [i for i, (a, b) in enumerate(zip(want, got)) if a != b]
    if len(got) != len(want) or diff:
        bad += 1
        i = diff[0] if diff else 0
        print(f"{h} differs from rust at row {i + 1} ({len(diff)} of {len(want)} differ)", file=sys.stderr)
        if diff:
            print(f"  rust: {want[i]}\n  {h}: {got[i]}", file=sys.stderr)
if bad:
    print("the hosts disagree: the comparison measures nothing until they agree", file=sys.stderr)
    sys.exit(1)
print(f"agreement: all hosts give identical decisions on the first {len(ref)} of {n} referrals")
label = {
    "rust": "Rust evaluate_json_str",
    "python-evaluate": "Python evaluate(dict), per call",
    "python-frame": f"Python evaluate_frame, per row ({cores} cores)",
    "python-frame-1thread": "Python evaluate_frame, per row (threads=1)",
    "c-abi": "C ABI thr_ruleset_evaluate_json",
    "wasm-node": "wasm under Node, evaluateJson",
}
rows = {}
for h in hosts:
    per = [int(x) / n / 1000 for x in read(f"{work}/{h}.ns") if x.strip()]
    rows[h] = (statistics.median(per), min(per), max(per), len(per))
base = rows["rust"][0]
w = max(len(v) for v in label.values())
print(f"{'host':<{w}}  {'µs/referral':>11}  {'min–max':>15}  {'× Rust JSON':>11}")
for h in hosts:
    med, lo, hi, k = rows[h]
    print(f"{label[h]:<{w}}  {med:>11.2f}  {f'{lo:.2f}–{hi:.2f}':>15}  {med / base:>11.2f}")
print(f"median of {rows['rust'][3]} interleaved passes over {n} referrals; options: reasons and missing on")
PY
