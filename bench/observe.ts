/**
 * What observability costs: sequential TwoPhaseCommit sessions (examples/two-phase-commit.ts,
 * in memory) without `Observe` (`plain`: what every unobserved run pays), with `Observe`
 * (spans on Effect's default native tracer, Debug logs at the default level Info, so not
 * written), and with spans only. Sessions per second, median of the measured runs.
 *
 * Usage: `npm run bench:observe`. Env: SESSIONS (20000), RUNS (5; plus one warm-up).
 */
import { Effect } from "effect"
import { Observe, Session } from "../src/index.js"
import { coordinator, participant, TwoPhaseCommit } from "../examples/two-phase-commit.js"
const N = Number(process.env.SESSIONS ?? 20_000)
const RUNS = Number(process.env.RUNS ?? 5)
const one = (i: number) => Session.run(TwoPhaseCommit, { Coordinator: coordinator(i), Participant: participant(i % 2 === 0 ? "commit" : "abort") })
const cases = {
  plain: (i: number) => one(i),
  observed: (i: number) => Observe.observed(one(i)),
  "observed-spans-only": (i: number) => Observe.observed(one(i), { logs: false })
}
const time = async (f: (i: number) => Effect.Effect<unknown, unknown>) => {
  const t = performance.now()
  await Effect.runPromise(Effect.forEach(Array.from({ length: N }, (_, i) => i), (i) => f(i), { discard: true }))
  return N / ((performance.now() - t) / 1000)
}
const results: Record<string, number[]> = {}
for (let r = 0; r <= RUNS; r++) for (const [name, f] of Object.entries(cases)) {
  const v = await time(f as never)
  if (r >= 1) (results[name] ??= []).push(v)
}
for (const [name, vs] of Object.entries(results)) { vs.sort((a, b) => a - b); console.log(name.padEnd(22), "median sessions/s", (vs[Math.floor(vs.length / 2)] / 1000).toFixed(1) + "k", vs.map((v) => (v / 1000).toFixed(1)).join(" ")) }
