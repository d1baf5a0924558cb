#!/usr/bin/env python3
"""Epochs each optimizer needs to bring the cost within 1e-6 (relative) of the optimum,
full batch, on stackloss and on a 100,000-row synthetic set, at tuned settings and at the
optimizer's defaults (no flag but --optimizer). Prints the Markdown table that the README
shows.

    python3 scripts/optimizer_table.py            # builds downhill in release mode first
    python3 scripts/optimizer_table.py --downhill target/release/downhill

Standard library only. The optimum is Newton's answer on the same data. Learning rates are
the ones the optimizer catalog documents for stackloss (`downhill optimizers`), the same on
both sets (both are standardised inside the fit).
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

# name, extra flags, epoch limit factor
OPTIMIZERS = [
    ("gd", ["--lr", "0.1"]),
    ("momentum", ["--lr", "0.01"]),
    ("nesterov", ["--lr", "0.01"]),
    ("adagrad", ["--lr", "1"]),
    ("adadelta", ["--lr", "0.1"]),
    ("rmsprop", ["--lr", "0.1", "--schedule", "exp:0.995"]),
    ("adam", ["--lr", "0.05"]),
    ("adamax", ["--lr", "0.05"]),
    ("nadam", ["--lr", "0.05"]),
    ("amsgrad", ["--lr", "0.03"]),
    ("adamw", ["--lr", "0.05", "--weight-decay", "0.0001"]),
    ("gd --line-search wolfe", []),
    ("cg", []),
    ("lbfgs", []),
    ("newton", []),
]
TARGET = 1e-6


def synthetic(path, rows=100_000, seed=1):
    """y = 3 + x1 - 2 x2 + 0.5 x3 + noise, with correlated features."""
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x1", "x2", "x3", "x4", "x5", "y"])
        for _ in range(rows):
            z = [rng.gauss(0, 1) for _ in range(5)]
            x1 = 10 + 2 * z[0]
            x2 = 0.8 * z[0] + 0.6 * z[1]
            x3 = 100 * z[2] + 50 * z[1]
            x4 = z[3] + 0.9 * z[2]
            x5 = rng.uniform(-1, 1)
            y = 3 + x1 - 2 * x2 + 0.005 * x3 + 0.1 * x4 + rng.gauss(0, 1)
            w.writerow([f"{v:.10g}" for v in (x1, x2, x3, x4, x5, y)])


def fit(downhill, data, target, flags, epochs, history=None):
    cmd = [downhill, "fit", data, "--target", target, "--json", "--epochs", str(epochs)] + flags
    if history:
        cmd += ["--history", history]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip()
    return json.loads(out.stdout), None


def epochs_to_target(history, optimum):
    with open(history) as f:
        for row in csv.DictReader(f):
            if (float(row["cost"]) - optimum) <= TARGET * abs(optimum):
                return int(row["epoch"])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--downhill", help="the downhill binary (default: build release)")
    ap.add_argument("--epochs", type=int, default=30_000, help="epoch limit per run")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    downhill = args.downhill
    if not downhill:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "downhill-cli"], cwd=root, check=True)
        target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
        downhill = os.path.join(target_dir, "release", "downhill")
    with tempfile.TemporaryDirectory() as tmp:
        synth = os.path.join(tmp, "synthetic.csv")
        synthetic(synth)
        sets = [
            ("stackloss (21 x 3)", os.path.join(root, "data", "stackloss.csv"), "STACKLOSS"),
            ("synthetic (100,000 x 5)", synth, "y"),
        ]
        results = {}
        for label, data, target in sets:
            best, err = fit(downhill, data, target, ["--optimizer", "newton"], 100)
            if best is None:
                sys.exit(f"newton failed on {label}: {err}")
            optimum = best["cost"]
            for name, flags in OPTIMIZERS:
                parts = name.split()
                hist = os.path.join(tmp, "h.csv")
                # Tuned settings, then the defaults where there are settings to leave out.
                for tuned, settings in [(True, flags)] + ([(False, [])] if flags else []):
                    run, err = fit(
                        downhill, data, target, ["--optimizer"] + parts + settings + ["-q"], args.epochs, hist
                    )
                    if run is None:
                        cell = "diverged" if "diverged" in (err or "") else "error"
                    else:
                        e = epochs_to_target(hist, optimum)
                        cell = f"{e:,}" if e is not None else f"> {args.epochs:,}"
                    results.setdefault((name, tuned), []).append(cell)
                    print(f"{label:>24}  {name:<24} {' '.join(settings) or 'defaults':<28} {cell}", file=sys.stderr)
    print(
        "| optimizer | settings | stackloss (21 x 3) | synthetic (100,000 x 5) | stackloss, defaults | synthetic, "
        "defaults |"
    )
    print("|---|---|---|---|---|---|")
    for name, flags in OPTIMIZERS:
        tuned = results[(name, True)]
        default = results.get((name, False), ["(same)", "(same)"])
        print(f"| `{name}` | `{' '.join(flags) or '(none)'}` | {tuned[0]} | {tuned[1]} | {default[0]} | {default[1]} |")


if __name__ == "__main__":
    main()
