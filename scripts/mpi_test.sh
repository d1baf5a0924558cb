#!/usr/bin/env bash
# Only the tests of training across MPI ranks (crates/downhill-cli/tests/mpi.rs), for work on
# them; scripts/test.sh runs them with every other Rust test. Installs Open MPI and libclang
# when missing; each test launches `mpirun` under `timeout` (9 tests, about 30 s on a warm build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system_deps.sh
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
timeout 1200 cargo test --workspace --features downhill-cli/mpi --locked --test mpi
