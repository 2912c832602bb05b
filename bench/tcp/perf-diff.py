#!/usr/bin/env python3
"""Per-unit costs by bucket from perf-buckets.py outputs: (case - baseline) / units, averaged
over the two processes' main threads. Usage: perf-diff.py UNITS base.txt case1.txt [case2.txt ...]"""
import re, sys, collections
units = float(sys.argv[1])
def load(path):
    procs, cur = [], None
    for line in open(path):
        m = re.match(r"process (\d+): main thread (\d+) ms; other threads (\d+) ms", line)
        if m:
            cur = collections.Counter(); procs.append(cur)
            cur["(other threads: GC helpers, compiler)"] = float(m.group(3))
            continue
        m = re.match(r"\s+(\d+) ms\s+[\d.]+%\s+(.*)", line)
        if m and cur is not None: cur[m.group(2).strip()] += float(m.group(1))
    procs = procs[:2]
    tot = collections.Counter()
    for p in procs: tot.update(p)
    return {k: v / len(procs) for k, v in tot.items()}
base = load(sys.argv[2])
cases = [(p.split("/")[-1], load(p)) for p in sys.argv[3:]]
keys = sorted({k for _, c in cases for k in c}, key=lambda k: -max(c.get(k, 0) - base.get(k, 0) for _, c in cases))
print(f"{'µs per unit per process':45}" + "".join(f"{n:>14}" for n, _ in cases))
for k in keys:
    print(f"{k:45}" + "".join(f"{(c.get(k, 0) - base.get(k, 0)) * 1000 / units:14.2f}" for _, c in cases))
tot = lambda c: sum(v for k, v in c.items() if not k.startswith("(other"))
print(f"{'TOTAL main thread':45}" + "".join(f"{(tot(c) - tot(base)) * 1000 / units:14.2f}" for _, c in cases))
