#!/usr/bin/env bash
# Where the CPU time of a case goes, by bucket (kernel send/receive, Node streams, Effect
# runtime, Schema, Quadrille's modules, JSON, GC, …), per round trip or frame and per process:
# perf (cpu-clock, call graphs; node --perf-basic-prof) over a whole invocation of
# bench/tcp.ts, minus an invocation that measures nothing. Linux, perf installed.
# Usage: bench/tcp/perf-breakdown.sh UNITS name:CASE[:SRC] ...
#   UNITS: round trips or frames measured per invocation ((WARMUP + RUNS) x ROUNDS or FRAMES)
#   e.g. RUNS=5 WARMUP=1 bench/tcp/perf-breakdown.sh 120000 raw:raw-seq q:quadrille-seq q3:quadrille-seq:/tmp/qs-p3/src
set -euo pipefail
cd "$(dirname "$0")/../.."
units=$1; shift
out=${OUT:-$(mktemp -d)}
record() { # name ONLY SRC RUNS WARMUP
  local src=${3:-}
  env ${src:+QUADRILLE_SRC=$src} PIN=${PIN:-same} PLATFORM=0 ONLY=$2 RUNS=$4 WARMUP=$5 CHILD_FLAGS="--perf-basic-prof" \
    perf record -F 10000 -g -e cpu-clock -o "$out/$1.perf" -- node --perf-basic-prof --import tsx bench/tcp.ts 2>&1 | grep -E "^(raw|effect|quadrille)-" || true
  perf script -i "$out/$1.perf" -F comm,pid,tid,ip,sym,dso 2>/dev/null | python3 bench/tcp/perf-buckets.py 10000 > "$out/$1.txt"
}
record base raw-seq "" 0 0
names=()
for spec in "$@"; do
  IFS=: read -r name only src <<< "$spec"
  record "$name" "$only" "${src:-}" "${RUNS:-5}" "${WARMUP:-1}"
  names+=("$out/$name.txt")
done
python3 bench/tcp/perf-diff.py "$units" "$out/base.txt" "${names[@]}"
