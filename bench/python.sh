#!/usr/bin/env bash
# The Python package's benchmark (issue 14): bench/python.py against the CLI and
# scikit-learn. Not a test: prints a Markdown table (the README's Python numbers).
#
#   bash bench/python.sh
#
# Uses the test venv target/py-venv (made by scripts/python_test.sh, or here), installs the
# package built in cargo profile `py` (as `pip install ./crates/downhill-py` does) and builds
# the CLI in the same profile. REPS (default 3) runs per timing. The next
# `bash scripts/python_test.sh` puts the dev build back.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
venv="$root/target/py-venv"
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$root/crates/downhill-py/requirements-test.txt"
export PATH="$venv/bin:$PATH"
echo "== pip install crates/downhill-py (cargo profile py)" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps "$root/crates/downhill-py"
echo "== the downhill binary (cargo profile py)" >&2
cargo build --locked --profile py -p downhill-cli
export DOWNHILL_BIN="$CARGO_TARGET_DIR/py/downhill"
"$venv/bin/python" "$root/bench/python.py"
