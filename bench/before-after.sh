#!/bin/bash
# Before and after, interleaved: the `src/` of commit BASE (default 68bcf04, the start of issue 14)
# is copied with HEAD's bench/ and examples/ into scratch/before (gitignored), and each bench runs
# N times in each tree, alternating. Logs in OUT (default /tmp/quadrille-before-after).
#   bench/before-after.sh [BASE]     env: N (3), OUT
set -e
base=${1:-68bcf04}; n=${N:-3}; out=${OUT:-/tmp/quadrille-before-after}
root=$(cd "$(dirname "$0")/.." && pwd)
before=$root/scratch/before
rm -rf "$before"; mkdir -p "$before" "$out"
git -C "$root" archive "$base" src | tar -x -C "$before"
cp -r "$root/bench" "$root/examples" "$before/"
run() { # tree name command...
  local tree=$1 name=$2; shift 2
  (cd "$tree" && "$@") > "$out/$name.log" 2>&1
  uptime >> "$out/$name.log"
}
for i in $(seq 1 "$n"); do
  run "$before" "ping-pong-before-$i" env RUNS=5 WARMUP=2 node --import tsx bench/ping-pong.ts
  run "$root" "ping-pong-after-$i" env RUNS=5 WARMUP=2 node --import tsx bench/ping-pong.ts
done
for i in $(seq 1 "$n"); do
  run "$before" "sessions-before-$i" env SESSIONS=20000 RUNS=3 WARMUP=1 node --expose-gc --import tsx bench/sessions.ts
  run "$root" "sessions-after-$i" env SESSIONS=20000 RUNS=3 WARMUP=1 node --expose-gc --import tsx bench/sessions.ts
done
run "$before" "protocol-make-before" env RUNS=7 node --import tsx bench/protocol-make.ts
run "$root" "protocol-make-after" env RUNS=7 node --import tsx bench/protocol-make.ts
echo "logs in $out"
