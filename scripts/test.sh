#!/usr/bin/env bash
# Every test of the project, on a fresh machine too. `.ci/run` calls exactly this.
#  1. Debian packages when missing: chromium, Open MPI, libclang (scripts/system_deps.sh);
#  2. every Rust test of the workspace, the MPI ones included (each launches `mpirun` under
#     `timeout`): one build, with the `mpi` feature, whose `downhill` binary the next stages use;
#  3. the playground page in a headless chromium (pinned npm packages);
#  4. the Python package (a venv with pinned packages from PyPI, see scripts/python_test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# Each stage's start time, for the CI log.
stage() { echo "== $* ($(date -u +%T))"; }
bash scripts/system_deps.sh

# Open MPI in a container: shared memory without the cross-memory-attach it cannot use, and
# root allowed (the tests pass --allow-run-as-root too).
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# The `downhill` binary this cargo test builds (before it runs a test): the playground's API
# tests, the browser test and the Python tests run it, none builds its own.
export DOWNHILL_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/downhill"
stage "cargo test --workspace --features downhill-cli/mpi"
timeout 1500 cargo test --workspace --locked --features downhill-cli/mpi

stage "the playground in a headless browser"
bash scripts/browser_test.sh
stage "the Python package (a venv in target/py-venv, maturin, ruff, pytest)"
bash scripts/python_test.sh
stage "done"
