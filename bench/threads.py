"""Where splitting a full-batch sum over two threads starts to pay, through the CLI.

For seeded data sets of ROWS x FEATURES (standard normal features; a linear target and a 0/1
one), times `downhill fit --optimizer gd --gtol 0` with `--threads 1` and `--threads 2`,
alternated, and prints the best microseconds an epoch of each. Enough epochs that each fit
trains for about 0.3 s, so that the thread pool's start and the first epochs weigh little.

`--threads 2` splits a sum only from the library's threshold on (`MIN_BLOCKS_PER_THREAD` in
`objective/block_sum.rs`, 32 blocks of 512 rows a thread since aa3054b): below it both columns
time one thread. To time splits below it, as that file quotes, point `--exe` at a build with a
smaller threshold (4 before aa3054b).

    bench/.venv/bin/python bench/threads.py [--rounds 2] [--exe target/release/downhill]

Needs numpy and pyarrow (the bench's virtual environment has both) and a release build.
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SIZES = [(8192, 10), (8192, 20), (16384, 10), (16384, 20), (32768, 10), (32768, 20), (131072, 20)]


def write_set(path: Path, rows: int, features: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features))
    z = x @ (np.arange(1, features + 1) * 0.3 / features) + 0.1 * rng.standard_normal(rows)
    cols = {f"x{j}": x[:, j] for j in range(features)}
    cols["y"] = z
    cols["c"] = (z > 0).astype(np.float64)
    pq.write_table(pa.table(cols), path)


def epoch_us(exe: str, path: Path, model: str, features: int, epochs: int, threads: int) -> float:
    target = "y" if model == "linear" else "c"
    names = ",".join(f"x{j}" for j in range(features))
    cmd = [exe, "fit", str(path), "--target", target, "--features", names, "--model", model]
    cmd += ["--optimizer", "gd", "--epochs", str(epochs), "--gtol", "0", "--threads", str(threads)]
    out = json.loads(subprocess.run(cmd + ["--json", "--quiet"], check=True, capture_output=True).stdout)
    return out["train_seconds"] / out["epochs"] * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--exe", default="target/release/downhill")
    args = parser.parse_args()
    print("model, rows x features: best us an epoch with 1 thread / 2 threads")
    with tempfile.TemporaryDirectory() as tmp:
        for seed, (rows, features) in enumerate(SIZES):
            path = Path(tmp) / f"s_{rows}x{features}.parquet"
            write_set(path, rows, features, seed)
            for model in ["linear", "logistic"]:
                per_row_ns = 3.0 if model == "linear" else 7.5
                epochs = max(200, int(0.3e9 / (rows * per_row_ns)))
                best = {1: float("inf"), 2: float("inf")}
                for _ in range(args.rounds):
                    for threads in best:
                        t = epoch_us(args.exe, path, model, features, epochs, threads)
                        best[threads] = min(best[threads], t)
                print(f"{model:8} {rows:7} x {features:3}: {best[1]:8.0f} / {best[2]:8.0f}")


if __name__ == "__main__":
    main()
