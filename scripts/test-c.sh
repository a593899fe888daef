#!/usr/bin/env bash
# The C ABI suite (bindings-c): installs what is missing (pinned cbindgen, valgrind), builds and
# installs the library into a scratch prefix with bindings-c/install.sh, fails if the committed
# header differs from a fresh cbindgen run, then builds the C tests against the committed header,
# linked once against the shared and once against the static library, and runs them plainly,
# under valgrind and under ASan+UBSan; also the header's example and examples/check_referral.c
# (through pkg-config). Ends with one "N passed, N failed" line. THR_TEST=substr filters vectors.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.tools/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/c}
CBINDGEN_VERSION=0.29.0

step() { printf -- '-- %s\n' "$*"; }

if [[ "$(cbindgen --version 2>/dev/null || true)" != "cbindgen $CBINDGEN_VERSION" ]]; then
  step "installing cbindgen $CBINDGEN_VERSION into .tools"
  cargo install --quiet --locked cbindgen --version "$CBINDGEN_VERSION" --root .tools
fi
if ! command -v valgrind >/dev/null; then
  step "installing valgrind"
  apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi

work=$CARGO_TARGET_DIR/c-tests
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"

step "building and installing into $prefix"
bindings-c/install.sh "$prefix"

step "header drift check (cbindgen $CBINDGEN_VERSION)"
(cd bindings-c && cbindgen --quiet --config cbindgen.toml --crate thresholds-c --output "$work/fresh.h" .)
if ! cmp -s "$work/fresh.h" bindings-c/include/thresholds.h; then
  diff -u bindings-c/include/thresholds.h "$work/fresh.h" | head -40 || true
  echo "bindings-c/include/thresholds.h is out of date: regenerate it with" >&2
  echo "  (cd bindings-c && cbindgen --config cbindgen.toml --crate thresholds-c --output include/thresholds.h .)" >&2
  exit 1
fi

python3 bindings-c/tests/gen_fixture.py "$root" "$work/vectors.fixture"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=(-std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Ibindings-c/include)
shared_libs=(-L"$prefix/lib" -Wl,-rpath,"$prefix/lib" -lthresholds -lpthread)
# shellcheck disable=SC2207 # word-splitting the flags is intended
static_libs=("$prefix/lib/libthresholds.a" $(pkg-config --static --libs-only-l thresholds | sed 's/-lthresholds//'))

step "compiling the C tests (shared, static, static + ASan/UBSan)"
gcc "${cflags[@]}" bindings-c/tests/test_abi.c "${shared_libs[@]}" -o "$work/test_shared"
gcc "${cflags[@]}" bindings-c/tests/test_abi.c "${static_libs[@]}" -o "$work/test_static"
gcc "${cflags[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer bindings-c/tests/test_abi.c \
  "${static_libs[@]}" -o "$work/test_asan"
# The usage example at the top of the header, compiled as written.
sed -n '/^ \* EXAMPLE/,/^ \* END OF EXAMPLE/p' bindings-c/include/thresholds.h | sed '1d;$d' \
  | sed -E 's/^ \*( {5})?//' >"$work/header_example.c"
gcc "${cflags[@]}" "$work/header_example.c" "${shared_libs[@]}" -o "$work/header_example"
# The vendor example, built the documented way: through pkg-config, shared and static.
# shellcheck disable=SC2046
gcc "${cflags[@]}" bindings-c/examples/check_referral.c $(pkg-config --cflags --libs thresholds) \
  -Wl,-rpath,"$prefix/lib" -o "$work/check_referral"
# shellcheck disable=SC2046
gcc "${cflags[@]}" bindings-c/examples/check_referral.c -static-libgcc \
  $(pkg-config --cflags thresholds) "$prefix/lib/libthresholds.a" \
  $(pkg-config --static --libs-only-l thresholds | sed 's/-lthresholds//') -o "$work/check_referral_static"
if nm -D "$work/check_referral_static" 2>/dev/null | grep -q thr_ruleset; then
  echo "check_referral_static links libthresholds dynamically" >&2
  exit 1
fi

total_passed=0
total_failed=0
run() { # run NAME COMMAND...: a test binary; adds its "N passed, N failed" line to the totals
  local name=$1 log="$work/$1.log" status=0
  shift
  step "$name"
  "$@" >"$log" 2>&1 || status=$?
  grep -v '^FAIL' "$log" | grep -E '^(vectors|threads):' || true
  grep -E '^FAIL|ERROR SUMMARY: [1-9]|definitely lost: [1-9]|runtime error|AddressSanitizer|LeakSanitizer' "$log" | head -20 || true
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
  if [[ -z $line ]]; then
    tail -20 "$log"
    echo "$name: no summary (exit $status)"
    total_failed=$((total_failed + 1))
    return
  fi
  local p f
  read -r p _ f _ <<<"$line"
  if [[ $status -ne 0 && $f -eq 0 ]]; then
    tail -20 "$log"
    f=1 # a clean count but a failing exit: valgrind or a sanitizer found something
  fi
  echo "$name: $p passed, $f failed"
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
}
# A program without its own counts: one check, passed when it exits 0 with the expected output.
run_program() { # run_program NAME EXPECTED_REGEX COMMAND...
  local name=$1 want=$2 log="$work/$1.log" status=0
  shift 2
  step "$name"
  "$@" >"$log" 2>&1 || status=$?
  if [[ $status -eq 0 ]] && grep -Eq "$want" "$log"; then
    total_passed=$((total_passed + 1))
  else
    tail -20 "$log"
    echo "$name: FAILED (exit $status)"
    total_failed=$((total_failed + 1))
  fi
}

fixture=$work/vectors.fixture
vg=(valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
  --show-leak-kinds=definite,indirect)
run "shared" "$work/test_shared" "$fixture" "$root"
run "static" "$work/test_static" "$fixture" "$root"
THR_THREAD_ITERS=10 run "valgrind-shared" "${vg[@]}" "$work/test_shared" "$fixture" "$root"
THR_THREAD_ITERS=10 run "valgrind-static" "${vg[@]}" "$work/test_static" "$fixture" "$root"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run "asan-ubsan-static" "$work/test_asan" "$fixture" "$root"

run_program "header example" '"level":"acute"' "$work/header_example"
tour=rules/examples/tour/tour.thr
facts=$work/facts.json
printf '{"immediate_danger": true, "age_years": 9}' >"$facts"
run_program "check_referral (tour rules)" 'What to do.*' "$work/check_referral" --rules "$tour" "$facts"
run_program "check_referral labels" '1\. Call 999: Immediate danger' "$work/check_referral" --rules "$tour" "$facts"
run_program "check_referral static, valgrind" '^Level: ' "${vg[@]}" "$work/check_referral_static" --rules "$tour" "$facts"
for f in examples/referrals/*.json; do
  [[ -e $f ]] || continue
  run_program "check_referral $(basename "$f")" '^Level: ' "${vg[@]}" "$work/check_referral" "$f"
done

echo
echo "c: $total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
