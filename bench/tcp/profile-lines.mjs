// Self time by source line (V8 positionTicks) of the files matching a pattern, in a .cpuprofile.
// Usage: node bench/tcp/profile-lines.mjs <file.cpuprofile> <url-pattern> [top=40]
import * as fs from "node:fs"
const [file, pattern, topArg] = process.argv.slice(2)
const prof = JSON.parse(fs.readFileSync(file, "utf8"))
const interval = (prof.endTime - prof.startTime) / prof.samples.length
const re = new RegExp(pattern)
const lines = new Map()
let total = 0
for (const n of prof.nodes) {
  if (n.callFrame.functionName !== "(idle)") total += n.hitCount
  if (!re.test(n.callFrame.url) || n.positionTicks === undefined) continue
  for (const t of n.positionTicks) {
    const k = `${n.callFrame.url.replace(/^file:\/\/\/tmp\/[^/]+\//, "")}:${t.line}  ${n.callFrame.functionName || "(anon)"}`
    lines.set(k, (lines.get(k) ?? 0) + t.ticks)
  }
}
const srcCache = new Map()
const text = (url, line) => {
  const f = url.replace(/^file:\/\//, "")
  if (!srcCache.has(f)) srcCache.set(f, fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n") : [])
  return (srcCache.get(f)[line - 1] ?? "").trim().slice(0, 90)
}
const urlOf = new Map(prof.nodes.map((n) => [n.callFrame.url.replace(/^file:\/\/\/tmp\/[^/]+\//, ""), n.callFrame.url]))
console.log(`busy samples ${total} (${(interval / 1000).toFixed(3)} ms each)`)
for (const [k, t] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 40))) {
  const [loc] = k.split("  ")
  const i = loc.lastIndexOf(":")
  console.log(`${String(t).padStart(6)} ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k.padEnd(55)} ${text(urlOf.get(loc.slice(0, i)) ?? "", Number(loc.slice(i + 1)))}`)
}
