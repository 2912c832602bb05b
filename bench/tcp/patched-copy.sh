#!/usr/bin/env bash
# Makes DIR a copy of src/ with the given patches applied (in order), runnable by
# bench/tcp.ts through QUADRILLE_SRC=DIR/src (it shares this checkout's node_modules).
# Usage: bench/tcp/patched-copy.sh DIR [patch.diff ...]
#   e.g. bench/tcp/patched-copy.sh /tmp/q3 bench/tcp/patches/*.diff && QUADRILLE_SRC=/tmp/q3/src npm run bench:tcp
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1; shift
patches=()
for p in "$@"; do patches+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"); done
rm -rf "$dir" && mkdir -p "$dir"
cp -r "$root/src" "$dir/src" && cp "$root/package.json" "$dir/" && ln -s "$root/node_modules" "$dir/node_modules"
for p in "${patches[@]}"; do (cd "$dir" && git apply "$p") && echo "applied $(basename "$p")"; done
