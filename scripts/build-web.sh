#!/usr/bin/env bash
# Builds the referral checker as one self-contained folder, web/dist/: the page, its script and
# style, and the checker's WebAssembly module (bindings-wasm/pkg-checker/: the shipped rules
# precompiled, no parser) under pkg/. It works from any static host (the
# Content-Security-Policy is a meta tag in the page); nothing leaves the practitioner's device.
# Rebuilds the WebAssembly package only when a source is newer than it.
#   scripts/build-web.sh            (prints the module's gzipped size)
set -euo pipefail
cd "$(dirname "$0")/.."

wasm=bindings-wasm/pkg-checker/thresholds_wasm_bg.wasm
# build.sh writes pkg-node/package.json last: it marks a finished build.
stamp=bindings-wasm/pkg-node/package.json
stale() {
  [[ ! -f $wasm || ! -f $stamp || ! -f bindings-wasm/pkg-checker/package.json ]] && return 0
  [[ -n $(find core/src core/build.rs core/Cargo.toml rules bindings-wasm/src bindings-wasm/Cargo.toml \
    bindings-wasm/build.rs bindings-wasm/build.sh bindings-wasm/package-lock.json Cargo.toml Cargo.lock -newer "$stamp" -print -quit) ]]
}
if stale; then
  bindings-wasm/build.sh
else
  echo "bindings-wasm/pkg-checker is up to date"
fi

dist=web/dist
rm -rf "$dist"
mkdir -p "$dist/pkg"
cp web/index.html web/app.js web/style.css web/favicon.svg "$dist/"
cp bindings-wasm/pkg-checker/thresholds_wasm.js "$wasm" "$dist/pkg/"
printf 'web/dist: %s files; the module is %s B gzipped (gzip -9)\n' \
  "$(find "$dist" -type f | wc -l | tr -d ' ')" "$(gzip -9 -c "$dist/pkg/thresholds_wasm_bg.wasm" | wc -c | tr -d ' ')"
