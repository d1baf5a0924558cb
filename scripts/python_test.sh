#!/usr/bin/env bash
# The Python package's tests: a venv in target/py-venv (git-ignored) with the pinned test
# requirements, the package built from crates/downhill-py by pip (maturin), the `downhill`
# binary the CLI-parity tests run, then ruff (the package, bench/ and scripts/) and pytest.
#
# Both are built in cargo's dev profile (PY_PROFILE), whose dependencies `cargo test
# --workspace` has already built (with the same features: the pins in
# crates/downhill-py/Cargo.toml): a clean run then compiles only PyO3, rust-numpy and the
# module. `pip install crates/downhill-py` without this script builds the `py` profile.
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

# A warning (only) when the module alone would build a shared dependency with other
# features than the test build did, and so compile it and what stands on it again.
"$venv/bin/python" "$root/scripts/feature_pins.py"

# maturin's build backend runs the `maturin` the venv installed.
export PATH="$venv/bin:$PATH"
profile="${PY_PROFILE:-dev}"
echo "== pip install crates/downhill-py (maturin, cargo profile $profile)"
MATURIN_PEP517_ARGS="--profile $profile" "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps "$root/crates/downhill-py"

# The CLI-parity tests run DOWNHILL_BIN (scripts/test.sh passes the one its tests built).
if [ -z "${DOWNHILL_BIN:-}" ]; then
    echo "== the downhill binary for the CLI-parity tests (cargo profile $profile)"
    cargo build --locked --profile "$profile" -p downhill-cli
    dir=$profile
    [ "$profile" = dev ] && dir=debug
    export DOWNHILL_BIN="$CARGO_TARGET_DIR/$dir/downhill"
fi

cd "$root/crates/downhill-py"
echo "== ruff check, ruff format --check"
"$venv/bin/ruff" check python tests
"$venv/bin/ruff" format --check python tests
# The scripts beside the package, with the root's ruff.toml.
(cd "$root" && "$venv/bin/ruff" check bench scripts && "$venv/bin/ruff" format --check bench scripts)
echo "== pytest"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests
