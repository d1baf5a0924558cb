#!/usr/bin/env bash
# Scaling of a full-batch epoch across MPI ranks on this machine: the same gradient-descent
# fit on 1 and 2 ranks, with each rank's time in collectives (one all-reduce of d + 2
# doubles per epoch, plus one two-value maximum for the agreed stop) against its whole run.
# Needs the CLI built with `--features mpi` (scripts/mpi_test.sh installs Open MPI).
# Then mini-batch SGD by Hogwild! on 1 and 2 threads of one process.
# Usage: bash scripts/mpi_bench.sh [ROWS] [FEATURES] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-400000}
FEATURES=${2:-20}
EPOCHS=${3:-200}
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cargo build --release -p downhill-cli --features mpi --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/downhill
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
python3 - "$ROWS" "$FEATURES" > "$DIR/data.csv" <<'PY'
import random, sys
n, d = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(1)
w = [rng.uniform(-1, 1) for _ in range(d)]
print(",".join([f"x{j}" for j in range(d)] + ["y"]))
for _ in range(n):
    x = [rng.gauss(0, 1) for _ in range(d)]
    print(",".join(f"{v:.5f}" for v in x) + f",{sum(a * b for a, b in zip(w, x)) + rng.gauss(0, 0.1):.5f}")
PY
echo "rows $ROWS, features $FEATURES, epochs $EPOCHS (gd, --threads 1 per rank)"
for N in 1 2; do
    DOWNHILL_MPI_TRAFFIC=1 timeout 600 mpirun --oversubscribe --allow-run-as-root --mca btl self,vader -n "$N" \
        "$BIN" fit "$DIR/data.csv" --target y --optimizer gd --epochs "$EPOCHS" --gtol 0 --threads 1 --json -q \
        > "$DIR/out$N.json" 2> "$DIR/err$N.txt"
    python3 - "$N" "$EPOCHS" "$DIR/out$N.json" "$DIR/err$N.txt" <<'PY'
import json, re, sys
n, epochs = int(sys.argv[1]), int(sys.argv[2])
train = json.load(open(sys.argv[3]))["train_seconds"]
comm = [float(m.group(1)) for m in re.finditer(r"collectives took ([0-9.]+) s", open(sys.argv[4]).read())]
c = max(comm)
print(f"{n} rank(s): epoch {1e3 * train / epochs:.3f} ms, of which in collectives (slowest rank) "
      f"{1e3 * c / epochs:.3f} ms; compute {1e3 * (train - c) / epochs:.3f} ms")
PY
done
# Hogwild! on threads of one process: mini-batch SGD epochs on 1 and 2 threads.
for T in 1 2; do
    "$BIN" fit "$DIR/data.csv" --target y --optimizer sgd --lr 0.01 --batch-size 32 --epochs 20 --tol 0 \
        --hogwild --threads "$T" --json -q > "$DIR/hog$T.json"
    python3 - "$T" "$DIR/hog$T.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
print(f"hogwild, {sys.argv[1]} thread(s): epoch {1e3 * r['train_seconds'] / r['epochs']:.3f} ms, cost {r['cost']:.6g}")
PY
done
