#!/usr/bin/env bash
# Builds the Python wheel in a fresh virtual environment and runs the Python test suite
# (conformance vectors, errors, pickle, batch, notebook, stubs).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv-test
WHEELS=target/py-wheels
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/py}"
# maturin sets this itself for the extension; a stale value would break `cargo test`.
unset PYO3_BUILD_EXTENSION_MODULE

rm -rf "$VENV" "$WHEELS"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "maturin>=1.5,<2"
"$VENV/bin/maturin" build --release --quiet -m bindings-python/Cargo.toml \
    --target-dir "$CARGO_TARGET_DIR" -o "$WHEELS" -i "$VENV/bin/python"
wheel=$(ls "$WHEELS"/thresholds-*.whl)
"$VENV/bin/python" -m pip install --quiet "${wheel}[test]"
# A kernel for the notebook test, inside the venv.
"$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null

cd bindings-python
"../$VENV/bin/python" -m pytest -q -p no:cacheprovider tests
