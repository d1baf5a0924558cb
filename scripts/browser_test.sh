#!/bin/sh
# The playground page in a headless chromium (Debian's, driven by playwright-core from
# npm, pinned in crates/downhill-serve/tests/browser). Installs what it needs, starts
# `downhill serve` on a free port, runs the test, stops the server.
# Usage: scripts/browser_test.sh [screenshot.png]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
shot=${1:-$root/target/playground.png}
mkdir -p "$(dirname "$shot")"
if [ ! -x /usr/bin/chromium ]; then
    apt-get update -q && apt-get install -y -q chromium
fi
cd "$root/crates/downhill-serve/tests/browser"
npm ci --no-audit --no-fund --silent
cd "$root"
cargo build --quiet -p downhill-cli --bin downhill
bin=${CARGO_TARGET_DIR:-$root/target}/debug/downhill
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
[ -n "$url" ] || { cat "$log"; echo "browser_test: the server did not start" >&2; exit 1; }
node "$root/crates/downhill-serve/tests/browser/page.test.mjs" "$url" "$shot"
