#!/usr/bin/env bash
# Draws the README's gallery into docs/gallery/ with the downhill binary.
#   bash scripts/gallery.sh                 # builds downhill (release) first
#   DOWNHILL=path/to/downhill bash scripts/gallery.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DOWNHILL:-}" ]; then
  cargo build --release -q -p downhill-cli
  DOWNHILL="${CARGO_TARGET_DIR:-target}/release/downhill"
fi
out=docs/gallery
mkdir -p "$out"
run() { echo "+ downhill $*" >&2; "$DOWNHILL" "$@" > /dev/null; }

# The textbook picture: plain gradient descent on the raw (unstandardised) least-squares
# cost of Engel's data zig-zags across the steep direction, then crawls along the valley.
run fit data/engel.csv -t foodexp --no-standardize --lr 5e-7 --epochs 300 -q \
  --plot-surface "$out/engel-raw-surface.png" --plot-fit "$out/engel-fit.png"
# Standardised, the same descent goes straight to the minimum.
run fit data/engel.csv -t foodexp -q --plot-surface "$out/engel-standardised-surface.png" \
  --plot-loss "$out/engel-loss.png" --validation-fraction 0.2

# Rosenbrock's banana valley, by L-BFGS and by plain gradient descent, flat and in 3-D.
run minimize rosenbrock --optimizer lbfgs -q --plot-surface "$out/rosenbrock-lbfgs.png"
run compare rosenbrock --optimizers gd,momentum,adam,lbfgs --lrs 0.001,0.0005,0.05,- --epochs 20000 -q \
  --plot-surface "$out/rosenbrock-compare.png" --plot-loss "$out/rosenbrock-loss.png"
run minimize rosenbrock --optimizer momentum --lr 0.0005 --epochs 20000 -q --plot-3d "$out/rosenbrock-3d.png"

# The two well-known scenes: Beale from (3, 4), and the saddle from just off its ridge.
# From (3, 4) the gradient is ~1e4: plain steps need tiny rates; the adaptive methods, which
# step ~lr whatever the gradient, head for the wrong valley; L-BFGS finds (3, 0.5).
run compare beale --from 3,4 --optimizers sgd,momentum,adagrad,rmsprop,adam,lbfgs \
  --lrs 0.00005,0.00001,0.5,0.01,0.05,- --epochs 3000 -q \
  --plot-surface "$out/beale-compare.png" --plot-loss "$out/beale-loss.png"
run compare saddle --from 1,0.001 --optimizers sgd,momentum,nesterov,adagrad,rmsprop,adam \
  --lrs 0.01,0.01,0.01,0.1,0.01,0.01 --epochs 200 -q --plot-surface "$out/saddle-compare.png" \
  --plot-3d "$out/saddle-3d.png"

# A formula typed by the user.
run minimize "sin(x) * cos(y) + 0.1*(x^2 + y^2)" --from 1,1 --optimizer adam --lr 0.05 --epochs 500 -q \
  --plot-surface "$out/formula.png"

# Logistic regression on two features of the breast-cancer data: the decision line.
run fit data/breast_cancer.csv -t diagnosis --model logistic --features mean_radius,mean_texture \
  --l2 0.01 --optimizer lbfgs -q --plot-boundary "$out/breast-cancer-boundary.png"
echo "pictures in $out" >&2
