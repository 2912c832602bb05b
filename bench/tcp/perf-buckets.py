#!/usr/bin/env python3
"""Buckets the on-CPU samples of `perf record -g -e cpu-clock` (node run with --perf-basic-prof)
by process and by what the sample is doing. Usage: perf script -i FILE | perf-buckets.py [HZ]
A sample goes to the first bucket that matches, walking its stack from the leaf up:
kernel work by the system call it serves, GC, V8 compilation, JSON, then the nearest JS frame's
module. Only the main thread of each node process is bucketed; other threads are summed."""
import re, sys, collections

hz = float(sys.argv[1]) if len(sys.argv) > 1 else 10000.0
samples = collections.defaultdict(collections.Counter)
others = collections.Counter()
def flush(head, stack):
    if head is None: return
    m = re.match(r"\s*(\S+)\s+(\d+)/(\d+)", head)
    if not m: return
    comm, pid, tid = m.group(1), int(m.group(2)), int(m.group(3))
    if comm != "node": return
    if pid != tid:
        others[pid] += 1
        return
    samples[pid][bucket(stack)] += 1

def js_module(sym):
    m = re.search(r"JS:\S*\s+(\S+?):\d+:\d+", sym) or re.search(r"JS:\S*\s+(\S+)", sym)
    url = m.group(1) if m else sym
    if "/src/handlers/tcp" in url or "/scratch/tcp" in url: return "quadrille: tcp transport (tcp.ts)"
    if "/src/handlers/frames" in url: return "quadrille: frames"
    if "/src/handlers/mailbox" in url: return "quadrille: mailboxes"
    if "/src/runtime/channel" in url: return "quadrille: channel (envelopes, checks)"
    if "/src/runtime/Role" in url: return "quadrille: role interpreter"
    if "/src/" in url: return "quadrille: other"
    if "effect/dist/esm/ParseResult" in url or "effect/dist/esm/Schema" in url or "SchemaAST" in url: return "effect: Schema"
    if "effect/dist" in url: return "effect: runtime (fibers, scheduler, core)"
    if "@effect/" in url: return "@effect/platform"
    if "/bench/" in url: return "bench code"
    if "node:internal/streams" in url or "node:net" in url or "stream_base_commons" in url: return "node: net/streams (JS)"
    if "task_queues" in url or "timers" in url: return "node: nextTick/timers"
    if url.startswith("node:"): return "node: other JS"
    return "other JS"

def bucket(stack):
    leaf = stack[0] if stack else ""
    if "[kernel" in leaf or "kallsyms" in leaf:
        for s in stack:
            if "kallsyms" in s: continue
            if re.search(r"libc_write|__write|writev", s): return "kernel: write (send on loopback)"
            if re.search(r"\bread\b|__libc_read|readv", s): return "kernel: read"
            if "epoll" in s: return "kernel: epoll_wait"
            break
        if any("page_fault" in s for s in stack): return "kernel: page faults"
        return "kernel: other"
    for s in stack:
        if re.search(r"Heap::|Scavenge|MarkCompact|GCTracer|MinorGC|Sweeper|ConcurrentMarking", s): return "V8: GC"
        if re.search(r"Compiler|compiler::|Parser|Baseline|CompileLazy|Bytecode|Maglev", s): return "V8: compile"
    for s in stack:
        if "JsonStringifier" in s: return "V8: JSON.stringify"
        if "JsonParser" in s: return "V8: JSON.parse"
        if "JS:" in s: return js_module(s)
    if any("uv_" in s or "uv__" in s for s in stack): return "libuv/node C++"
    return "native: other"

head, stack = None, []
for line in sys.stdin:
    if line.strip() == "":
        flush(head, stack); head, stack = None, []
    elif line.startswith("\t") or line.startswith("        "):
        stack.append(line.strip())
    else:
        flush(head, stack); head, stack = line, []
flush(head, stack)
ms = 1000.0 / hz
for pid, c in sorted(samples.items(), key=lambda kv: -sum(kv[1].values())):
    tot = sum(c.values())
    if tot < 50: continue
    print(f"process {pid}: main thread {tot*ms:.0f} ms; other threads {others[pid]*ms:.0f} ms")
    for b, n in c.most_common():
        print(f"  {n*ms:8.0f} ms {100*n/tot:5.1f}%  {b}")
