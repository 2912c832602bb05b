/**
 * The crash trials outside vitest, with a report (tests/crash/harness.ts):
 *
 *   node --import tsx scripts/crash-trials.ts [trials=100] [seed] [concurrency=2] [only=i,j,...]
 *
 * Starts its own redis-server (tests/fixtures/redis-server.ts), runs the fault-free baselines,
 * then the trials, and prints the table of trials per protocol and kill kind, and each failure
 * with its seed and what its processes said. Exit code 1 when a trial failed.
 */
import { startRedis } from "../tests/fixtures/redis-server.js"
import { type Baseline, describeTrial, inMemory, killAll, kindName, planTrials, pool, protocols, runBaseline, runTrial, sessionKinds, summarise, type TrialOutcome } from "../tests/crash/harness.js"

const [trialsArg, seedArg, concurrencyArg, onlyArg] = process.argv.slice(2)
const trials = Number(trialsArg ?? 100)
const seed = seedArg !== undefined && seedArg !== "-" ? Number(seedArg) : Math.floor(Math.random() * 2 ** 32)
const concurrency = Number(concurrencyArg ?? 2)
const only = onlyArg === undefined ? undefined : new Set(onlyArg.split(",").map(Number))

const main = async () => {
  console.log(`crash trials: ${trials} trials, seed ${seed}, concurrency ${concurrency}`)
  const server = await startRedis()
  try {
    const t0 = Date.now()
    const baselines = new Map<string, Baseline>()
    const run = pool<void>(concurrency)
    await Promise.all(protocols.flatMap((p) => sessionKinds[p]).map((k) => run(async () => {
      const b = await runBaseline(k, server.url)
      const memory = await inMemory(k)
      if (JSON.stringify(memory) !== JSON.stringify(b.results)) throw new Error(`the baseline of ${kindName(k)} is not what Session.run gives: ${JSON.stringify(b.results)} vs ${JSON.stringify(memory)}`)
      baselines.set(kindName(k), b)
      console.log(`baseline ${kindName(k)}: commits ${JSON.stringify(b.commits)}, frames ${JSON.stringify(b.receives)}, spans ${JSON.stringify(b.span)} ms`)
    })))
    const t1 = Date.now()
    const plan = planTrials(trials, seed, baselines).filter((t) => only === undefined || only.has(t.index))
    const trialPool = pool<TrialOutcome>(concurrency)
    const outcomes = await Promise.all(plan.map((t) => trialPool(async () => {
      const o = await runTrial(t, baselines.get(kindName(t.kind))!, server.url)
      console.log(`${o.ok ? "ok  " : "FAIL"} ${describeTrial(t)}: ${o.committedBefore} commits before, restart found ${o.checkpointFound === null ? "no checkpoint" : `checkpoint ${o.checkpointFound}`}, ${o.redelivered} uncommitted frames taken again${o.rerun > 0 ? `, run again ${o.rerun}× after a kill that came too late` : ""} (${o.ms} ms)`)
      return o
    })))
    const t2 = Date.now()
    console.log(`\n${summarise(outcomes)}`)
    console.log(`baselines ${((t1 - t0) / 1000).toFixed(1)} s, trials ${((t2 - t1) / 1000).toFixed(1)} s, total ${((t2 - t0) / 1000).toFixed(1)} s (seed ${seed})`)
    const failed = outcomes.filter((o) => !o.ok)
    for (const f of failed) console.log(`\nFAILED ${describeTrial(f.spec)}\n  ${f.problems.join("\n  ")}\n${f.diagnostics}`)
    process.exitCode = failed.length > 0 ? 1 : 0
  } finally {
    await killAll()
    await server.stop()
  }
}

main().catch(async (e) => {
  console.error(e)
  await killAll()
  process.exit(1)
})
