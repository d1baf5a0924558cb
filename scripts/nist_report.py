#!/usr/bin/env python3
"""NIST StRD linear least squares: fit all 11 certified data sets with `downhill fit` and
print, for each, the log relative error (LRE, the number of correct significant digits,
minimum over the parameters) of the coefficients, of the residual standard deviation and of
R^2, beside the coefficients' LRE of `--optimizer auto` (what a user gets without choosing)
and NumPy's float64 `lstsq` on the raw design matrix, and the time per fit.

    python3 scripts/nist_report.py                          # builds downhill (release) first
    python3 scripts/nist_report.py --downhill target/release/downhill --optimizer newton

LRE = -log10(|estimate - certified| / |certified|), capped at 15 (the certified values
carry 15 digits); where the certified value is 0, -log10|estimate|. The NumPy column is
filled when numpy can be imported (e.g. in bench/.venv), else left out.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

SETS = [
    "Norris",
    "Pontius",
    "NoInt1",
    "NoInt2",
    "Filip",
    "Longley",
    "Wampler1",
    "Wampler2",
    "Wampler3",
    "Wampler4",
    "Wampler5",
]
THRESHOLD = {
    "Norris": 9,
    "Pontius": 9,
    "NoInt1": 9,
    "NoInt2": 9,
    "Filip": 5,
    "Longley": 7,
    "Wampler1": 7,
    "Wampler2": 7,
    "Wampler3": 7,
    "Wampler4": 7,
    "Wampler5": 7,
}


def lre(est, cert):
    if cert == 0:
        return 15.0 if est == 0 else min(15.0, max(0.0, -math.log10(abs(est))))
    if est == cert:
        return 15.0
    return min(15.0, max(0.0, -math.log10(abs(est - cert) / abs(cert))))


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [[float(v) for v in line.split(",")] for line in f if line.strip()]
    return header, rows


def downhill_fit(exe, root, name, spec, optimizer):
    data = os.path.join(root, "data", "nist", f"{name}.csv")
    cmd = [exe, "fit", data, "--target", "y", "--json", "--optimizer", optimizer]
    if spec["degree"] and spec["degree"] > 1:
        cmd += ["--degree", str(spec["degree"])]
    if not spec["intercept"]:
        cmd += ["--no-intercept"]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        return None, out.stderr.strip(), wall
    return json.loads(out.stdout), None, wall


def coefficients(fit, spec):
    """B0..Bk in NIST's order from downhill's JSON."""
    w = fit["weights"]
    if spec["degree"] is None:  # Longley: x1..x6
        names = [f"x{i}" for i in range(1, 7)]
    else:
        names = ["x"] + [f"x^{k}" for k in range(2, spec["degree"] + 1)]
    coef = [w[n] for n in names]
    return ([fit["intercept"]] if spec["intercept"] else []) + coef


def statistics(rows, coef, spec):
    """Residual SD and R^2 (uncentred without an intercept, as NIST certifies them)."""
    n = len(rows)
    sse, ys = 0.0, []
    for r in rows:
        x, y = r[:-1], r[-1]
        if spec["degree"] is None:
            terms = x
        else:
            terms = [x[0] ** k for k in range(1, spec["degree"] + 1)]
        pred = (coef[0] if spec["intercept"] else 0.0) + sum(
            c * t for c, t in zip(coef[1:] if spec["intercept"] else coef, terms)
        )
        sse += (y - pred) ** 2
        ys.append(y)
    p = len(coef)
    sd = math.sqrt(sse / (n - p)) if n > p else 0.0
    if spec["intercept"]:
        mean = sum(ys) / n
        sst = sum((y - mean) ** 2 for y in ys)
    else:
        sst = sum(y * y for y in ys)
    return sd, 1.0 - sse / sst


def numpy_lre(rows, spec, cert):
    try:
        import numpy as np
    except ImportError:
        return None
    X = np.array([r[:-1] for r in rows])
    y = np.array([r[-1] for r in rows])
    if spec["degree"] is not None:
        X = np.vstack([X[:, 0] ** k for k in range(1, spec["degree"] + 1)]).T
    if spec["intercept"]:
        X = np.hstack([np.ones((len(rows), 1)), X])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    return min(lre(float(e), c) for e, c in zip(b, cert))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--downhill", help="the downhill binary (default: build release)")
    ap.add_argument("--optimizer", default="newton")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exe = args.downhill
    if not exe:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "downhill-cli"], cwd=root, check=True)
        exe = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")), "release", "downhill")
    print(
        "| data set | difficulty | coefficients LRE | residual SD LRE | R^2 LRE | auto coefficients LRE | NumPy "
        "lstsq coefficients LRE | time | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    failed = []
    for name in SETS:
        with open(os.path.join(root, "data", "nist", f"{name}.json")) as f:
            spec = json.load(f)
        n_coef = len(spec["certified"])
        cert = (
            [float(spec["certified"][f"B{i}"]) for i in range(n_coef)]
            if spec["intercept"]
            else [float(spec["certified"]["B1"])]
        )
        header, rows = read_csv(os.path.join(root, "data", "nist", f"{name}.csv"))
        fit, err, wall = downhill_fit(exe, root, name, spec, args.optimizer)
        npl = numpy_lre(rows, spec, cert)
        np_cell = "-" if npl is None else f"{npl:.1f}"
        auto, auto_err, auto_wall = downhill_fit(exe, root, name, spec, "auto")
        if auto is None:
            auto_cell = f"failed: {auto_err}"
            failed.append(f"{name} (auto)")
        else:
            auto_lre = min(lre(e, c) for e, c in zip(coefficients(auto, spec), cert))
            auto_cell = f"{auto_lre:.1f} ({auto['optimizer']})"
            if auto_lre < THRESHOLD[name] or auto_wall >= 1.0:
                failed.append(f"{name} (auto)")
        if fit is None:
            print(
                f"| {name} | {spec['difficulty']} | failed: {err} | | | {auto_cell} | {np_cell} | {wall:.2f} s | "
                f"{THRESHOLD[name]} |"
            )
            failed.append(name)
            continue
        coef = coefficients(fit, spec)
        c_lre = min(lre(e, c) for e, c in zip(coef, cert))
        sd, r2 = statistics(rows, coef, spec)
        sd_lre = lre(sd, float(spec["residual_sd"]))
        r2_lre = lre(r2, float(spec["r_squared"]))
        ok = c_lre >= THRESHOLD[name] and wall < 1.0
        if not ok:
            failed.append(name)
        print(
            f"| {name} | {spec['difficulty']} | {c_lre:.1f} | {sd_lre:.1f} | {r2_lre:.1f} | {auto_cell} | {np_cell} "
            f"| {wall:.2f} s | {THRESHOLD[name]}{'' if ok else ' (missed)'} |"
        )
    print()
    missed = [f for f in failed if not f.endswith("(auto)")]
    print(
        f"optimizer: {args.optimizer}; {len(SETS) - len(missed)} of {len(SETS)} data sets reach their target; "
        f"auto: {len(SETS) - (len(failed) - len(missed))} of {len(SETS)}"
        + (f" (missed: {', '.join(failed)})" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
