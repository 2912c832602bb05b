#!/usr/bin/env bash
# Interleaved invocations of bench/tcp.ts over patched copies of src/ (how the patches in
# bench/tcp/patches were measured). Usage:
#   bench/tcp/compare.sh ROUNDS_OF_INVOCATIONS name=dir [name=dir ...]   (dir "-" = src/ itself)
# Env as for bench/tcp.ts (PIN, RUNS, WARMUP, ROUNDS, FRAMES, ONLY). Prints each invocation's
# medians and ratios, then the median over invocations per variant.
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=$1; shift
out=$(mktemp -d)
for ((r = 0; r < reps; r++)); do
  vs=("$@")
  if ((r % 2 == 1)); then vs=($(printf '%s\n' "$@" | tac)); fi
  for v in "${vs[@]}"; do
    name=${v%%=*}; dir=${v#*=}
    if [[ $dir == "-" ]]; then env -u QUADRILLE_SRC npx tsx bench/tcp.ts > "$out/$name.$r" 2>&1 || true
    else QUADRILLE_SRC=$dir npx tsx bench/tcp.ts > "$out/$name.$r" 2>&1 || true; fi
    echo "== $name (round $r)"; grep -E "^(raw|quadrille|platform)|^ratio|Error" "$out/$name.$r" | cut -c1-110
  done
done
echo "== medians over $reps invocations (of the per-invocation medians)"
for v in "$@"; do
  name=${v%%=*}
  cat "$out/$name".* | awk -v n="$name" '
    /^(raw|quadrille|platform)-/ { v[$1] = v[$1] " " $2 }
    /^ratio/ { split($2, a, "="); r[a[1]] = r[a[1]] " " $4 }
    END {
      for (k in v) printf "%-10s %-16s %s\n", n, k, v[k]
      for (k in r) printf "%-10s ratio %-28s %s\n", n, k, r[k]
    }' | sort
done
