/**
 * `Protocol.make` at run time: building and projecting a protocol of N global steps, for
 * N = 1 000, 10 000 and 20 000, to see that it is fast and linear.
 *
 * The protocol is a flat chain of N messages over four roles, in a ring
 * (A -> B, B -> C, C -> D, D -> A, A -> B, ...), each with its own label. The builder is driven
 * loosely (its precise types would ask the compiler to check 20 000 calls); that is the
 * same run-time code `Protocol.make` runs for a typed call. Every build is checked: the
 * protocol has N steps and each role's local automaton has the states it should.
 *
 * Usage: `npm run bench:protocol-make`
 * Env: SIZES (1000,10000,20000), RUNS (7), WARMUP (2).
 */
import { Schema } from "effect"
import { Protocol } from "../src/index.js"

const SIZES = (process.env.SIZES ?? "1000,10000,20000").split(",").map(Number)
const RUNS = Number(process.env.RUNS ?? 7)
const WARMUP = Number(process.env.WARMUP ?? 2)
const ROLES = ["A", "B", "C", "D"] as const

type Loose = { readonly msg: (from: string, to: string, label: string) => Loose }

const build = (n: number) => {
  const messages: Record<string, Schema.Schema.AnyNoContext> = {}
  for (let i = 0; i < n; i++) messages[`M${i}`] = Schema.Number
  return Protocol.make(`Chain${n}`, { roles: ROLES, messages }, ((g: Loose) => {
    let b = g
    for (let i = 0; i < n; i++) b = b.msg(ROLES[i % 4], ROLES[(i + 1) % 4], `M${i}`)
    return b
  }) as never)
}

const check = (n: number, p: ReturnType<typeof build>) => {
  const steps = (p as unknown as { readonly steps: ReadonlyArray<unknown> }).steps
  if (steps.length !== n) throw new Error(`N = ${n}: ${steps.length} steps`)
  // Each message is a send of one role and a receive of another: every role has about n/2 states.
  const locals = (p as unknown as { readonly "~graph": { readonly locals: ReadonlyMap<string, { readonly states: ReadonlyArray<unknown> }> } })["~graph"].locals
  let total = 0
  for (const r of ROLES) total += locals.get(r)!.states.length
  // 2 states per message (its send and its receive), plus one end state per role.
  if (total !== 2 * n + ROLES.length) throw new Error(`N = ${n}: ${total} local states in all, expected ${2 * n + ROLES.length}`)
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

console.log(`Protocol.make of a chain of N messages over 4 roles; ${WARMUP} warm-up + ${RUNS} measured runs per size, alternating; node ${process.version}`)
for (let i = 0; i < WARMUP; i++) for (const n of SIZES) check(n, build(n))
// Wall clock and CPU time (user + system) of each build: a loaded machine deschedules the process.
const times = new Map<number, Array<number>>(SIZES.map((n) => [n, []]))
const cpuTimes = new Map<number, Array<number>>(SIZES.map((n) => [n, []]))
for (let i = 0; i < RUNS; i++) {
  const order = i % 2 === 0 ? SIZES : [...SIZES].reverse()
  for (const n of order) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const p = build(n)
    const ms = performance.now() - t0
    const used = process.cpuUsage(c0)
    check(n, p)
    times.get(n)!.push(ms)
    cpuTimes.get(n)!.push((used.user + used.system) / 1000)
  }
}
console.log("N        median ms (wall)   median ms (CPU)   µs per step (wall)   runs, wall (ms)")
for (const n of SIZES) {
  const m = median(times.get(n)!)
  const c = median(cpuTimes.get(n)!)
  console.log(`${String(n).padEnd(8)} ${m.toFixed(1).padStart(16)}   ${c.toFixed(1).padStart(15)}   ${((m * 1000) / n).toFixed(2).padStart(18)}   ${times.get(n)!.map((t) => t.toFixed(1)).join(" ")}`)
}
const [small, ...rest] = SIZES
for (const n of rest) {
  const r = median(times.get(n)!) / median(times.get(small)!)
  const rc = median(cpuTimes.get(n)!) / median(cpuTimes.get(small)!)
  console.log(`time(${n}) / time(${small}) = ${r.toFixed(2)} (wall), ${rc.toFixed(2)} (CPU); linear: ${(n / small).toFixed(2)}`)
}
