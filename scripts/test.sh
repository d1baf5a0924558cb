#!/usr/bin/env bash
# Every test of the project: the playground page in a headless browser (installs Debian's
# chromium and the pinned npm packages when missing), then every Rust test of the
# workspace. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== the playground in a headless browser"
bash scripts/browser_test.sh
echo "== training across MPI ranks"
bash scripts/mpi_test.sh
echo "== cargo test --workspace"
cargo test --workspace --locked
