#!/usr/bin/env bash
# The Debian packages the tests need, installed when missing: chromium (the playground's
# browser test), Open MPI and libclang with pkgconf (the `mpi` feature's bindings). Run
# first by scripts/test.sh and .ci/run, so that every cargo command can build the workspace
# with `--features downhill-cli/mpi`: one build of the dependencies, not two.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
updated=""
install() { # install [apt flags] PACKAGE...
    [ -n "$updated" ] || { $SUDO apt-get update -qq; updated=1; }
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# chromium with its recommended fonts and codecs, as the page renders with them.
if [ ! -x /usr/bin/chromium ]; then
    echo "== apt-get install chromium"
    install chromium
fi
missing=()
command -v mpirun >/dev/null || missing+=(openmpi-bin)
dpkg -s libopenmpi-dev >/dev/null 2>&1 || missing+=(libopenmpi-dev)
dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
command -v pkgconf >/dev/null || missing+=(pkgconf)
if ((${#missing[@]})); then
    echo "== apt-get install ${missing[*]}"
    install --no-install-recommends "${missing[@]}"
fi
