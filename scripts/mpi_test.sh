#!/usr/bin/env bash
# The tests of training across MPI ranks (crates/downhill-cli/tests/mpi.rs): installs Debian's
# Open MPI and libclang (for rsmpi's bindings) when missing, builds the CLI with
# `--features mpi`, and runs the tests, each of which launches `mpirun` under `timeout`.
# Called by scripts/test.sh; about 30 s on a warm build here (9 tests; the first build of the mpi
# crates adds 1-2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v mpirun >/dev/null || missing+=(openmpi-bin)
dpkg -s libopenmpi-dev >/dev/null 2>&1 || missing+=(libopenmpi-dev)
dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
command -v pkgconf >/dev/null || missing+=(pkgconf)
if ((${#missing[@]})); then
    echo "== installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Open MPI in a container: shared memory without the cross-memory-attach it cannot use, and
# root allowed (the tests pass --allow-run-as-root too).
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# `--workspace` keeps the dependencies' features as `cargo test --workspace` built them, so
# only the CLI is compiled again (with the mpi crate), not the dependency tree.
echo "== cargo test --workspace --features downhill-cli/mpi --test mpi"
timeout 1200 cargo test --workspace --features downhill-cli/mpi --locked --test mpi
