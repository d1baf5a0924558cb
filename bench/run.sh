#!/usr/bin/env bash
# Side-by-side benchmark of downhill against NumPy, PyTorch and scikit-learn (issue 6).
#
#   bash bench/run.sh
#
# 1. makes (or reuses) the virtual environment bench/.venv with numpy, pandas, scikit-learn,
#    pyarrow and, if it installs in time, torch (from PyPI);
# 2. builds downhill and the examples bandwidth, fma_peak, newton_cost and sgd_rows in release mode
#    (honours CARGO_TARGET_DIR);
# 3. runs bench/compare.py: data in bench/out/, the Markdown table on stdout and in
#    bench/out/results.md, every number in bench/out/results.json.
#
# Environment: BENCH_SECONDS (length of one measurement, default 1), BENCH_REPS (default 3),
# BENCH_QUICK=1 (small data sets: checks the script only), BENCH_NO_BUILD=1 (use the binaries
# already built, e.g. while the tree does not compile), BENCH_SKIP_TORCH=1,
# BENCH_RETRY_TORCH=1 (try torch again after an earlier failure), BENCH_TORCH_TIMEOUT
# (seconds for `pip install torch`, default 1200), PYTHON (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

say() { printf 'bench: %s\n' "$*" >&2; }

python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { say "needs $python"; exit 1; }
command -v cargo >/dev/null || { say "needs cargo (a Rust toolchain)"; exit 1; }

# --- 1. Python environment ------------------------------------------------------------------
venv="$here/.venv"
vpy="$venv/bin/python"
if [ ! -x "$vpy" ] || ! "$vpy" -c 'import sys' 2>/dev/null; then
    say "creating $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$vpy" -m pip install --quiet --upgrade pip
fi
pip_install() { "$vpy" -m pip install --quiet --disable-pip-version-check --only-binary :all: "$@"; }

if ! "$vpy" -c 'import numpy, pandas, sklearn' 2>/dev/null; then
    say "installing numpy, pandas, scikit-learn"
    pip_install numpy pandas scikit-learn
fi
if ! "$vpy" -c 'import pyarrow' 2>/dev/null; then
    say "installing pyarrow (optional: Parquet files)"
    pip_install pyarrow || say "pyarrow did not install: no Parquet files"
fi

# PyTorch: the plain PyPI package (on Linux it pulls the CUDA libraries, about 5 GB in the
# venv). A failure is remembered in the venv so later runs do not try again for nothing.
torch_mark="$venv/.torch-skipped"
torch_skip=""
if [ "${BENCH_SKIP_TORCH:-0}" = 1 ]; then
    torch_skip="BENCH_SKIP_TORCH=1"
elif "$vpy" -c 'import torch' 2>/dev/null; then
    :
elif [ -f "$torch_mark" ] && [ "${BENCH_RETRY_TORCH:-0}" != 1 ]; then
    torch_skip="$(cat "$torch_mark") (BENCH_RETRY_TORCH=1 tries again)"
else
    free_kb="$(df -Pk "$venv" | awk 'NR == 2 { print $4 }')"
    if [ "${free_kb:-0}" -lt $((10 * 1024 * 1024)) ]; then
        torch_skip="less than 10 GB free for pip install torch"
    else
        timeout_s="${BENCH_TORCH_TIMEOUT:-1200}"
        say "installing torch from PyPI (up to ${timeout_s} s; several GB)"
        log="$venv/torch-install.log"
        if timeout "$timeout_s" "$vpy" -m pip install --disable-pip-version-check --progress-bar off \
            --only-binary :all: torch >"$log" 2>&1 && "$vpy" -c 'import torch' 2>>"$log"; then
            rm -f "$torch_mark"
        else
            rc=$?
            if [ "$rc" = 124 ]; then
                torch_skip="pip install torch took longer than ${timeout_s} s"
            else
                torch_skip="pip install torch failed: $(tail -n 1 "$log" | cut -c1-160)"
            fi
        fi
    fi
    if [ -n "$torch_skip" ]; then
        printf '%s\n' "$torch_skip" >"$torch_mark"
    fi
fi
[ -z "$torch_skip" ] || say "PyTorch skipped: $torch_skip"

# --- 2. Release builds ----------------------------------------------------------------------
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
    say "BENCH_NO_BUILD=1: using the binaries already built"
else
    say "building downhill (release)"
    cargo build --release --quiet -p downhill-cli
    cargo build --release --quiet --example bandwidth --example fma_peak --example newton_cost \
        --example sgd_rows -p downhill
fi
target_dir="$(cargo metadata --format-version 1 --no-deps |
    "$vpy" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
downhill="$target_dir/release/downhill"
bandwidth="$target_dir/release/examples/bandwidth"
fma_peak="$target_dir/release/examples/fma_peak"
newton_cost="$target_dir/release/examples/newton_cost"
sgd_rows="$target_dir/release/examples/sgd_rows"
for exe in "$downhill" "$bandwidth" "$fma_peak" "$newton_cost" "$sgd_rows"; do
    [ -x "$exe" ] || { say "missing $exe: run without BENCH_NO_BUILD"; exit 1; }
done

# --- 3. Peak memory needs GNU time (else compare.py falls back to getrusage) -----------------
if [ ! -x /usr/bin/time ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing GNU time (apt-get install time)"
    { apt-get install -y -qq time || { apt-get update -qq && apt-get install -y -qq time; }; } \
        >/dev/null 2>&1 || say "could not install time: using getrusage"
fi

# --- 4. Measure -----------------------------------------------------------------------------
mkdir -p "$here/out"
export BENCH_TORCH_SKIP="$torch_skip"
exec "$vpy" "$here/compare.py" --downhill "$downhill" --bandwidth "$bandwidth" \
    --fma-peak "$fma_peak" --newton-cost "$newton_cost" --sgd-rows "$sgd_rows" --out "$here/out"
