#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, one after the other, one job each (the fuzzers
# are for a developer's machine; CI does not run them). Corpora grow in fuzz/corpus/TARGET
# from the seeds in fuzz/seeds/TARGET; crashes, and inputs slower than 30 s, land in
# fuzz/artifacts/TARGET.
#
#   bash fuzz/run.sh 600          # ten minutes per target
#   bash fuzz/run.sh 60 csv       # one target
set -euo pipefail
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
cd "$(dirname "$0")"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(csv formula model_predict schedule parquet)
fi
# The CSV reader runs on rayon: one thread, as the fuzzer itself takes one core.
export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-1}
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    seeds=()
    if [ -d "seeds/$target" ]; then
        seeds=("seeds/$target")
    fi
    echo "== $target, ${seconds} s"
    cargo +nightly fuzz run "$target" "corpus/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 -max_len=8192 \
        2>&1 | tee "logs-$target.txt" | grep -E "^(#[0-9]+ +DONE|Done|stat::|==|SUMMARY|.*panicked)" || true
done
