/**
 * The optimised streaming source against the unoptimised one, in the same run
 * (examples/optimised.ts):
 *
 *   loop stream { choice 'more' at Source {
 *     more: Source -> Sink : Value (number); Sink -> Source : Ready; recur stream
 *     stop: Source -> Sink : Stop } }
 *
 * - projected: the Source as projected, one value in flight (send Value, wait for Ready);
 * - optimised: the Source with a declared local type that sends 5 values before it waits for
 *   the first Ready (`Role.program(Streaming, "Source", { local }, ...)`), 5 in flight.
 *
 * Two measures, each case alternately after a warm-up, median of RUNS runs:
 * - wall clock and CPU time (user + system of the process), `Session.run` on the in-memory
 *   transport (VALUES values per run);
 * - virtual time under `simulate` with a fixed one-way delay of 1 ms per frame (chaos with no
 *   faults, seed 1; VALUES/10 values): what latency does to each, on the simulator's clock.
 * Every run checks the Sink's sum.
 *
 * Usage: `npm run bench:optimised`. Env: VALUES (20000), RUNS (7), WARMUP (2).
 */
import { Effect } from "effect"
import { Session } from "../src/index.js"
import { simulate } from "../src/testing/index.js"
import { sink, sourceAhead, sourceProjected, Streaming } from "../examples/optimised.js"

const VALUES = Number(process.env.VALUES ?? 20_000)
const RUNS = Number(process.env.RUNS ?? 7)
const WARMUP = Number(process.env.WARMUP ?? 2)

const sum = (n: number) => (n * (n - 1)) / 2

const cases = {
  projected: sourceProjected,
  optimised: sourceAhead
} as const

const wall = (name: keyof typeof cases, values: number) =>
  Effect.gen(function*() {
    const started = performance.now()
    const cpu = process.cpuUsage()
    const r = yield* Session.run(Streaming, { Source: cases[name](values), Sink: sink })
    const ms = performance.now() - started
    const used = process.cpuUsage(cpu)
    if (r.Sink !== sum(values) || r.Source !== values) throw new Error(`${name}: wrong result ${JSON.stringify(r)}`)
    return { ms, cpu: (used.user + used.system) / 1000 }
  })

const virtual = (name: keyof typeof cases, values: number) =>
  Effect.gen(function*() {
    const sim = yield* simulate(Streaming, { Source: cases[name](values), Sink: sink }, {
      seed: 1,
      chaos: { drop: 0, duplicate: 0, delay: { min: "1 millis", max: "1 millis" } }
    })
    const r = yield* sim.exit
    if (r.Sink !== sum(values)) throw new Error(`${name}: wrong result ${JSON.stringify(r)}`)
    return sim.time
  })

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const main = Effect.gen(function*() {
  for (let i = 0; i < WARMUP; i++) for (const name of Object.keys(cases) as Array<keyof typeof cases>) yield* wall(name, VALUES)
  const times: Record<string, Array<number>> = { projected: [], optimised: [] }
  const cpus: Record<string, Array<number>> = { projected: [], optimised: [] }
  for (let i = 0; i < RUNS; i++) {
    for (const name of Object.keys(cases) as Array<keyof typeof cases>) {
      const t = yield* wall(name, VALUES)
      times[name].push(t.ms)
      cpus[name].push(t.cpu)
    }
  }
  const virt: Record<string, number> = {}
  for (const name of Object.keys(cases) as Array<keyof typeof cases>) virt[name] = yield* virtual(name, Math.max(5, Math.floor(VALUES / 10)))
  console.log(`streaming, ${VALUES} values, Node ${process.version}, ${RUNS} runs after ${WARMUP} warm-up`)
  for (const name of Object.keys(cases)) {
    const m = median(times[name])
    const c = median(cpus[name])
    console.log(`  ${name.padEnd(10)} wall median ${m.toFixed(1)} ms (${(VALUES / m * 1000).toFixed(0)} values/s; runs ${times[name].map((t) => t.toFixed(0)).join(", ")}), CPU median ${c.toFixed(1)} ms`)
  }
  console.log(`  optimised / projected: wall time ${(median(times.optimised) / median(times.projected)).toFixed(3)}, CPU time ${(median(cpus.optimised) / median(cpus.projected)).toFixed(3)}`)
  const v = Math.max(5, Math.floor(VALUES / 10))
  console.log(`  virtual time, ${v} values, 1 ms per frame: projected ${virt.projected} ms, optimised ${virt.optimised} ms (ratio ${(virt.optimised / virt.projected).toFixed(3)})`)
})

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exit(1)
})
