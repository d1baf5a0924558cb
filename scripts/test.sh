#!/usr/bin/env bash
# Every test of the project: the playground page in a headless browser (installs Debian's
# chromium and the pinned npm packages when missing), every Rust test of the workspace, the
# MPI tests (installs Debian's Open MPI when missing, see scripts/mpi_test.sh), then the
# Python package's tests (a venv with pinned packages from PyPI, see scripts/python_test.sh).
# `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== the playground in a headless browser"
bash scripts/browser_test.sh
echo "== cargo test --workspace"
cargo test --workspace --locked
# After the Rust tests, whose build they reuse.
echo "== training across MPI ranks"
bash scripts/mpi_test.sh
echo "== the Python package (a venv in target/py-venv, maturin, ruff, pytest)"
bash scripts/python_test.sh
