/**
 * Crash trials: every role of TwoPhaseCommit, DataStreaming (60 chunks) and Deal in an OS
 * process of its own over Redis; in each trial one role is killed with SIGKILL (at a random
 * wall-clock time, or by itself right before or after its k-th commit's MULTI, or right after
 * taking its j-th frame) and started again with `Role.resume`; every session must end with the
 * fault-free results, applied logs included (tests/crash/harness.ts). Then the engine itself:
 * redis-server killed -9 mid-stream and started again on its data.
 *
 * - `QUADRILLE_CRASH_TRIALS` (default 9: 3 per protocol, every kill kind): how many trials;
 *   `npm run test:crash` runs 100.
 * - `QUADRILLE_CRASH_SEED`: the seed (default: a random one, printed); a trial is reproduced by
 *   the seed and its index, `QUADRILLE_CRASH_ONLY=i,j`.
 * - `QUADRILLE_CRASH_CONCURRENCY` (default 2): trials at a time.
 * - `QUADRILLE_ENGINE_KILLS` (default 1, 3 with QUADRILLE_CRASH_TRIALS set): engine-kill runs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { chunksOf } from "../fixtures/crash-role.js"
import { type RedisServer, startRedis } from "../fixtures/redis-server.js"
import {
  type Baseline,
  describeTrial,
  freshSession,
  inMemory,
  killAll,
  kindName,
  killKinds,
  mix,
  planTrials,
  pool,
  protocols,
  rng,
  runBaseline,
  runTrial,
  sessionKinds,
  startRole,
  summarise,
  type TrialOutcome,
  within
} from "./harness.js"

const trials = Number(process.env.QUADRILLE_CRASH_TRIALS ?? 9)
const seed = process.env.QUADRILLE_CRASH_SEED !== undefined ? Number(process.env.QUADRILLE_CRASH_SEED) : Math.floor(Math.random() * 2 ** 32)
const only = process.env.QUADRILLE_CRASH_ONLY === undefined ? undefined : new Set(process.env.QUADRILLE_CRASH_ONLY.split(",").map(Number))
const concurrency = Number(process.env.QUADRILLE_CRASH_CONCURRENCY ?? 2)
const engineKills = Number(process.env.QUADRILLE_ENGINE_KILLS ?? (process.env.QUADRILLE_CRASH_TRIALS === undefined ? 1 : 3))
/** A trial's bound: every wait in it is bounded by `limitMs` (a process is killed after it). */
const limitMs = 30_000

const indices = Array.from({ length: trials }, (_, i) => i).filter((i) => only === undefined || only.has(i))

describe("crash trials: one role of each session killed -9 and resumed", () => {
  let server: RedisServer | undefined
  const baselines = new Map<string, Baseline>()
  const outcomes: Array<TrialOutcome> = []
  let started = 0

  beforeAll(async () => {
    started = Date.now()
    console.log(`crash trials: ${indices.length} of ${trials}, seed ${seed} (QUADRILLE_CRASH_SEED=${seed} to run them again), ${concurrency} at a time`)
    server = await startRedis()
    const run = pool<void>(concurrency)
    await Promise.all(protocols.flatMap((p) => sessionKinds[p]).map((k) => run(async () => {
      const b = await runBaseline(k, server!.url, limitMs)
      // The fault-free run over Redis is what the same roles give in memory.
      expect(b.results).toEqual(await inMemory(k))
      baselines.set(kindName(k), b)
    })))
  }, 120_000)

  afterEach(async () => {
    await killAll()
  })

  afterAll(async () => {
    await killAll()
    await server?.stop()
    if (outcomes.length > 0) console.log(`${summarise(outcomes)}\ncrash trials took ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed})`)
  })

  for (const protocol of protocols) {
    const mine = indices.filter((i) => protocols[i % protocols.length] === protocol)
    if (mine.length === 0) continue
    const kinds = [...new Set(mine.map((i) => killKinds[i % killKinds.length]))].join(", ")
    it(`${protocol}: ${mine.length} trials (${kinds})`, async () => {
      const plan = planTrials(trials, seed, baselines).filter((t) => mine.includes(t.index))
      const run = pool<TrialOutcome>(concurrency)
      const results = await Promise.all(plan.map((t) => run(async () => {
        const o = await runTrial(t, baselines.get(kindName(t.kind))!, server!.url, limitMs)
        outcomes.push(o)
        console.log(`${o.ok ? "ok  " : "FAIL"} ${describeTrial(t)}: ${o.committedBefore} commits before the kill, the restart found ${o.checkpointFound === null ? "no checkpoint" : `checkpoint ${o.checkpointFound}`}, ${o.redelivered} uncommitted frames taken again${o.rerun > 0 ? `, run again ${o.rerun}× after a kill that came too late` : ""} (${o.ms} ms)`)
        return o
      })))
      const failed = results.filter((o) => !o.ok)
      for (const f of failed) console.log(`FAILED ${describeTrial(f.spec)} (QUADRILLE_CRASH_SEED=${seed} QUADRILLE_CRASH_ONLY=${f.spec.index})\n  ${f.problems.join("\n  ")}\n${f.diagnostics}`)
      expect(failed.map((f) => `${describeTrial(f.spec)}: ${f.problems.join("; ")}`)).toEqual([])
    }, 60_000 + Math.ceil(mine.length / concurrency) * 45_000)
  }
})

describe("crash trials: the engine killed -9 mid-session", () => {
  let server: RedisServer | undefined
  const kind = sessionKinds.DataStreaming[0]
  let baseline: Baseline | undefined

  beforeAll(async () => {
    server = await startRedis()
    baseline = await runBaseline(kind, server.url, limitMs)
    expect(baseline.results).toEqual(await inMemory(kind))
    expect((baseline.results.Consumer as { readonly received: ReadonlyArray<string> }).received).toEqual(chunksOf(kind.variant.chunks!))
  }, 60_000)

  afterEach(async () => {
    await killAll()
  })

  afterAll(async () => {
    await killAll()
    await server?.stop()
  })

  for (let run = 0; run < engineKills; run++) {
    it(`DataStreaming (${kind.variant.chunks} chunks) completes exactly once across a kill -9 of redis-server (run ${run + 1})`, async () => {
      const s = mix(seed, 1_000_000 + run)
      const random = rng(s)
      // The kill comes once the Consumer has made its k-th commit: mid-stream.
      const k = 5 + Math.floor(random() * (baseline!.commits.Consumer - 15))
      const pauseMs = 300
      console.log(`engine kill ${run + 1}: seed ${s}, redis-server killed -9 after the Consumer's commit ${k}, started again ${pauseMs} ms later`)
      const sessionId = freshSession("engine")
      const procs = ["Producer", "Consumer"].map((role) =>
        startRole({ protocol: kind.protocol, role, sessionId, url: server!.url, variant: kind.variant, stepMs: kind.stepMs }, 45_000)
      )
      const [producer, consumer] = procs
      const reached = await within(limitMs, consumer.when((e) => e.ev === "commit" && e.k === k), `the Consumer did not reach commit ${k}`)
      expect(reached, `the Consumer exited before its commit ${k}: ${consumer.stderr()}`).toBeDefined()
      await server!.kill("SIGKILL")
      const killedAt = Date.now()
      // Mid-session: neither role had ended.
      expect(procs.map((p) => p.events.some((e) => e.ev === "result"))).toEqual([false, false])
      await new Promise((r) => setTimeout(r, pauseMs))
      await server!.start()
      const exits = await within(limitMs, Promise.all(procs.map((p) => p.exit)), "the session did not end after the engine came back")
      for (const [i, p] of procs.entries()) {
        expect(exits[i], `${p.role}: ${JSON.stringify(p.events.slice(-4))} ${p.stderr()}`).toEqual({ code: 0, signal: null })
        const result = p.events.find((e) => e.ev === "result")
        expect(result?.ev === "result" ? result.result : undefined).toEqual(baseline!.results[p.role])
        // It went on after the outage: it committed after the engine was back.
        expect(p.events.some((e) => e.ev === "commit" && e.at > killedAt + pauseMs)).toBe(true)
      }
      // Exactly once: the frames the Producer took are the baseline's, each (sender, number) once.
      // A frame taken just before the kill, whose acknowledgement had not committed, is taken
      // again from the pending entries when the engine is back, and dropped as a duplicate:
      // count distinct frames, not takes.
      const taken = producer.events.flatMap((e) => (e.ev === "recv" ? [`${e.from}#${e.seq}`] : []))
      expect(new Set(taken).size).toBe(baseline!.receives.Producer)
      expect(taken.length - new Set(taken).size).toBeLessThanOrEqual(2)
    }, 90_000)
  }
})
