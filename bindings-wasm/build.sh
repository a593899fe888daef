#!/usr/bin/env bash
# Builds the WebAssembly packages, optimised with binaryen's wasm-opt -Oz: the npm package's
# bindings-wasm/pkg/ (ES module, for browsers) and bindings-wasm/pkg-node/ (CommonJS, for
# Node.js), and the referral checker's bindings-wasm/pkg-checker/ (ES module: the shipped rules
# embedded precompiled, no parser; what web/ serves).
# Installs what is missing first (idempotent): the wasm32 target, the pinned wasm-bindgen CLI,
# the npm tools (binaryen, typescript). Prints the module's raw, optimised and gzipped sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/wasm}"
WASM_BINDGEN_VERSION=0.2.130 # must equal the `wasm-bindgen` pin in bindings-wasm/Cargo.toml

rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --no-default-features \
    --bin wasm-bindgen --root .tools
fi
if [[ ! -x bindings-wasm/node_modules/.bin/wasm-opt || bindings-wasm/package-lock.json -nt bindings-wasm/node_modules/.package-lock.json ]]; then
  (cd bindings-wasm && npm ci --no-audit --no-fund)
fi

# Size-first release builds, set by flags so the workspace's native profile is untouched.
build() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
  CARGO_PROFILE_RELEASE_LTO=fat \
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  CARGO_PROFILE_RELEASE_PANIC="${PANIC:-abort}" \
    cargo ${TOOLCHAIN:+"+$TOOLCHAIN"} build -q -p thresholds-wasm --target wasm32-unknown-unknown --release "$@"
}
raw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/thresholds_wasm.wasm"

# The checker is what every visitor of the website downloads, so it is built smallest: with the
# nightly toolchain's rust-src, the standard library is rebuilt for size and a panic aborts at
# once instead of formatting a message (a panic is a bug, and the module traps either way).
# Its own target directory keeps the stable builds' artefacts. Without nightly (or if that build
# fails) the checker is the stable build, a little larger; the size line says which.
checker() {
  if rustup run nightly rustc --version >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
    rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src' \
      || rustup component add rust-src --toolchain nightly >/dev/null 2>&1 || true
    if CARGO_TARGET_DIR="$CARGO_TARGET_DIR/size" TOOLCHAIN=nightly PANIC=immediate-abort \
      build --no-default-features --features checker \
        -Z build-std=std,panic_abort -Z panic-immediate-abort; then
      raw="$CARGO_TARGET_DIR/size/wasm32-unknown-unknown/release/thresholds_wasm.wasm"
      checker_build="nightly, std rebuilt for size, panics abort at once"
      return
    fi
    echo "build.sh: the nightly size build of the checker failed; building it with stable" >&2
  fi
  build --no-default-features --features checker
  checker_build="stable"
}
size() { wc -c <"$1" | tr -d ' '; }
# bindgen TARGET OUT_DIR: wasm-bindgen, then wasm-opt -Oz; prints the sizes.
bindgen() {
  rm -rf "$2"
  wasm-bindgen --target "$1" --out-dir "$2" "$raw"
  local wasm="$2/thresholds_wasm_bg.wasm" bindgen_size
  bindgen_size=$(size "$wasm")
  bindings-wasm/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-reference-types --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    "$wasm" -o "$wasm"
  printf '%s size: cargo %s B, wasm-bindgen %s B, wasm-opt -Oz %s B, gzip -9 %s B\n' "$2" \
    "$(size "$raw")" "$bindgen_size" "$(size "$wasm")" "$(gzip -9 -c "$wasm" | wc -c | tr -d ' ')"
}

build
bindgen web bindings-wasm/pkg
bindgen nodejs bindings-wasm/pkg-node
checker
echo "bindings-wasm/pkg-checker build: $checker_build"
bindgen web bindings-wasm/pkg-checker

# pkg/ and pkg-checker/ are ES modules; pkg-node/ is CommonJS (no "type": "module" above it).
for dir in pkg pkg-checker; do
  cat > "bindings-wasm/$dir/package.json" <<JSON
{"name":"thresholds-wasm","version":"0.1.0","type":"module","main":"thresholds_wasm.js","types":"thresholds_wasm.d.ts","sideEffects":["./snippets/*"],"license":"Apache-2.0"}
JSON
done
# Written last: build-web.sh takes it as the mark of a finished build.
cat > bindings-wasm/pkg-node/package.json <<JSON
{"name":"thresholds-wasm","version":"0.1.0","main":"thresholds_wasm.js","types":"thresholds_wasm.d.ts","license":"Apache-2.0"}
JSON
