#!/bin/sh
# The playground's two speed targets (issue 13), on a release build:
#  1. a race of 4 optimizers x 10,000 steps through POST /api/compare: under 100 ms;
#  2. the page's first picture (contours and paths drawn) after load: under 300 ms.
# Prints the median and the range of each; a benchmark, not a test.
# Usage: bench/playground.sh [repeats]   (default 20; needs curl, node, /usr/bin/chromium:
# scripts/browser_test.sh installs the last two)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20}
cd "$root"
cargo build --quiet --release -p downhill-cli --bin downhill
bin=${CARGO_TARGET_DIR:-$root/target}/release/downhill
log=$(mktemp)
"$bin" serve --port 0 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
url=""
for _ in $(seq 50); do
    url=$(sed -n 's/.*at \(http[^ ]*\) .*/\1/p' "$log")
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "playground.sh: the server did not start" >&2; exit 1; }

# gtol 0: every optimizer takes all 10,000 steps (none stops early on its tolerance).
race='{"function":"rosenbrock","optimizers":["gd","momentum","adam","rmsprop"],"lrs":[0.0005,0.0001,0.01,0.001],"epochs":10000,"gtol":0}'
steps=$(curl -s -X POST -H 'content-type: application/json' -d "$race" "${url}api/compare" |
    python3 -c 'import json,sys; print(",".join(str(r["steps"]) for r in json.load(sys.stdin)["runs"]))')
echo "race: 4 optimizers, steps $steps"
times=""
for _ in $(seq "$n"); do
    t=$(curl -s -o /dev/null -w '%{time_total}' -X POST -H 'content-type: application/json' -d "$race" "${url}api/compare")
    times="$times $t"
done
echo "$times" | python3 -c '
import statistics, sys
t = sorted(1000 * float(x) for x in sys.stdin.read().split())
print(f"POST /api/compare, 4 x 10,000 steps: median {statistics.median(t):.1f} ms, min {t[0]:.1f}, max {t[-1]:.1f} ({len(t)} requests; target < 100 ms)")'

node "$root/crates/downhill-serve/tests/browser/first_picture.mjs" "$url" "$n"
# The machine is shared: the load says how much of it the numbers had.
echo "load average (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
