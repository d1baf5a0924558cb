#!/usr/bin/env bash
# The Python package's tests: a venv in target/py-venv (git-ignored) with the pinned test
# requirements, the package built from crates/downhill-py by pip (maturin, cargo profile
# `py`), the `downhill` binary the CLI-parity tests run, then ruff and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
venv="$root/target/py-venv"
req="$root/crates/downhill-py/requirements-test.txt"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "== making the venv $venv"
    "$python" -m venv "$venv"
fi
# pip checks the pins against what is installed and downloads only what is missing.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"

echo "== pip install crates/downhill-py (maturin, cargo profile py)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps "$root/crates/downhill-py"

echo "== the downhill binary for the CLI-parity tests (cargo profile py)"
cargo build --locked --profile py -p downhill-cli
export DOWNHILL_BIN="$CARGO_TARGET_DIR/py/downhill"

cd "$root/crates/downhill-py"
echo "== ruff check, ruff format --check"
"$venv/bin/ruff" check python tests
"$venv/bin/ruff" format --check python tests
echo "== pytest"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests
