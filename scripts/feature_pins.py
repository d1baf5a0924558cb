"""Warn when the Python module's build would compile shared dependencies a second time.

`cargo test --workspace --features downhill-cli/mpi` (scripts/test.sh) builds every dependency
with the features all members and dev-dependencies ask for. maturin builds the module alone;
Cargo then unifies fewer features, and a dependency with other features is compiled again,
with everything above it (downhill, Arrow, Parquet: minutes on two cores). The pins in
crates/downhill-py/Cargo.toml ask for the same features. This compares `cargo tree -e features`
of the two builds and names the packages whose features still differ (PyO3's and the module's
own differ by design: `extension-module`). It only warns: a stale pin costs time, not
correctness.

Usage: python3 scripts/feature_pins.py   (from anywhere; exits 0 either way unless cargo fails)
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Built by the module's build alone, or different there on purpose.
OWN = re.compile(r"^(pyo3|numpy |downhill-py )")


def features(args: list[str]) -> dict[str, set[str]]:
    """Package (name and version) -> the feature sets it is built with (host and target)."""
    out = subprocess.run(
        ["cargo", "tree", "--locked", "--prefix", "none", "-f", "{p}|{f}", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    sets: dict[str, set[str]] = {}
    for line in out.splitlines():
        if "|" not in line:
            continue
        package, feats = line.split("|", 1)
        package = re.sub(r" \(.*\)$", "", package.strip())
        feats = re.sub(r"\s*\(\*\)$", "", feats).strip()
        sets.setdefault(package, set()).add(feats)
    return sets


def main() -> int:
    """Compare the two builds' features and warn about the packages that differ."""
    ws = ["--workspace", "--features", "downhill-cli/mpi"]
    py = ["-p", "downhill-py", "--features", "extension-module"]
    # Without proc-macros and build scripts each package appears once (the target's build)
    # and must match exactly; with them, host copies join, and the module's sets must be
    # among the test build's.
    target = (
        features(ws + ["-e", "normal,dev,no-proc-macro"]),
        features(py + ["-e", "normal,no-proc-macro"]),
    )
    every = (features(ws + ["-e", "normal,build,dev"]), features(py + ["-e", "normal,build"]))
    stale = {}
    for (workspace, module), differs in ((target, set.__ne__), (every, lambda a, b: not a <= b)):
        for package, sets in module.items():
            if not OWN.match(package) and package in workspace and differs(sets, workspace[package]):
                stale[package] = (sets, workspace[package])
    if stale:
        print(
            "warning: the Python module's build compiles these again with other features than "
            "the test build (add them to the pins in crates/downhill-py/Cargo.toml):",
            file=sys.stderr,
        )
        for package, (mine, theirs) in sorted(stale.items()):
            print(
                f"  {package}: [{' / '.join(sorted(mine))}], the test build [{' / '.join(sorted(theirs))}]",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
