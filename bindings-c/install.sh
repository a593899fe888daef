#!/usr/bin/env bash
# Builds the C library (release) and installs it under PREFIX:
#   PREFIX/include/thresholds.h
#   PREFIX/lib/libthresholds.so, PREFIX/lib/libthresholds.a
#   PREFIX/lib/pkgconfig/thresholds.pc   (Libs.private lists what a static link needs)
# Usage: bindings-c/install.sh PREFIX        (e.g. /usr/local, or $HOME/.local)
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
mkdir -p "$1"
prefix=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet -p thresholds-c
# The system libraries a static link needs, as rustc reports them for this platform.
native=$(cargo rustc --release --quiet -p thresholds-c --crate-type staticlib -- --print native-static-libs 2>&1 \
  | sed -n 's/.*native-static-libs: //p' | tail -n 1)
version=$(sed -n 's/^#define THR_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' bindings-c/include/thresholds.h | paste -sd.)
install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 bindings-c/include/thresholds.h "$prefix/include/"
install -m 755 "$target/release/libthresholds.so" "$prefix/lib/"
install -m 644 "$target/release/libthresholds.a" "$prefix/lib/"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" -e "s|@LIBS_PRIVATE@|$native|" \
  bindings-c/thresholds.pc.in > "$prefix/lib/pkgconfig/thresholds.pc"
echo "installed thresholds $version in $prefix (static link also needs: $native)"
