#!/bin/sh
# The playground page in a headless chromium (Debian's, driven by playwright-core from
# npm, pinned in crates/downhill-serve/tests/browser). Installs what it needs, starts
# `downhill serve` on a free port (the binary DOWNHILL_BIN, else one built here), runs the
# test, stops the server.
# Usage: scripts/browser_test.sh [screenshot.png]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
shot=${1:-$root/target/playground.png}
mkdir -p "$(dirname "$shot")"
bash "$root/scripts/system_deps.sh"
cd "$root/crates/downhill-serve/tests/browser"
npm ci --no-audit --no-fund --silent
cd "$root"
bin=${DOWNHILL_BIN:-}
if [ -z "$bin" ]; then
    cargo build --quiet -p downhill-cli --bin downhill
    bin=${CARGO_TARGET_DIR:-$root/target}/debug/downhill
fi
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
