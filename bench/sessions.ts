/**
 * Sessions of TwoPhaseCommit (examples/two-phase-commit.ts), in memory:
 *
 * - `sequential`: one session at a time, `Session.run` of the example's Coordinator and
 *   Participant (made per session, as `main` does), for SESSIONS sessions; sessions/s.
 * - `concurrent`: CONCURRENT sessions at once (`Effect.forEach`, unbounded concurrency), from
 *   the first fork to the last result; sessions/s, and per session against `sequential`.
 * - `heap`: CONCURRENT sessions, all live at once: the Participant's `PrepareRequest` handler
 *   waits on a latch (its only difference from the example's), so that every session is
 *   blocked in the middle, its Coordinator waiting for the vote. The live heap per session is
 *   `heapUsed` after a full GC (`--expose-gc`, twice) with all of them blocked, less `heapUsed`
 *   after a full GC before they started, divided by CONCURRENT. Then the latch opens and every
 *   session ends.
 *
 * Every session's result is checked (both roles' final states, commit and abort alternating).
 *
 * Usage: `npm run bench:sessions` (= node --expose-gc --import tsx bench/sessions.ts)
 * Env: SESSIONS (20000), CONCURRENT (10000), RUNS (5), WARMUP (1), ONLY=sequential|concurrent|heap.
 */
import { Effect } from "effect"
import { Role, Session } from "../src/index.js"
import { coordinator, participant, TwoPhaseCommit } from "../examples/two-phase-commit.js"

const SESSIONS = Number(process.env.SESSIONS ?? 20_000)
const CONCURRENT = Number(process.env.CONCURRENT ?? 10_000)
const RUNS = Number(process.env.RUNS ?? 5)
const WARMUP = Number(process.env.WARMUP ?? 1)
const ONLY = process.env.ONLY

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with node --expose-gc (npm run bench:sessions)")

type Vote = "commit" | "abort"
const voteOf = (i: number): Vote => (i % 2 === 0 ? "commit" : "abort")

const checked = (i: number, r: { readonly Coordinator: { readonly transactionId: number; readonly vote: Vote; readonly outcome: string }; readonly Participant: { readonly transactionId: number; readonly applied: string } }) => {
  const vote = voteOf(i)
  const outcome = vote === "commit" ? "committed" : "aborted"
  if (r.Coordinator.transactionId !== i || r.Coordinator.vote !== vote || r.Coordinator.outcome !== outcome || r.Participant.transactionId !== i || r.Participant.applied !== outcome) {
    return Effect.die(new Error(`session ${i}: wrong result ${JSON.stringify(r)}`))
  }
  return Effect.void
}

/** Session i of the example: transaction i, the Participant votes commit or abort by parity. */
const session = (i: number) =>
  Effect.flatMap(Session.run(TwoPhaseCommit, { Coordinator: coordinator(i), Participant: participant(voteOf(i)) }), (r) => checked(i, r))

const sequential = (n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < n; i++) yield* session(i)
  })

const concurrent = (n: number) => Effect.forEach(Array.from({ length: n }, (_, i) => i), session, { concurrency: "unbounded", discard: true })

/** The example's Participant, but its PrepareRequest handler waits for `gate` first. */
const gatedParticipant = (vote: Vote, gate: Effect.Effect<void>) =>
  Role.implement(TwoPhaseCommit, "Participant", {
    send: { PrepareResponse: () => ({ vote }), CommitAck: () => ({}), AbortAck: () => ({}) },
    recv: {
      PrepareRequest: (s, r) => Effect.as(gate, { ...s, transactionId: r.transactionId }),
      CommitRequest: (s) => ({ ...s, applied: "committed" as const }),
      AbortRequest: (s) => ({ ...s, applied: "aborted" as const })
    }
  }, { transactionId: 0, applied: "pending" as "pending" | "committed" | "aborted" })

/** Bytes of live heap per session with `n` sessions blocked at once; also checks every session's result. */
const heapPerSession = (n: number) =>
  Effect.gen(function*() {
    const latch = yield* Effect.makeLatch(false)
    let arrived = 0
    const gate = Effect.zipRight(Effect.sync(() => void arrived++), latch.await)
    gc!()
    gc!()
    const before = process.memoryUsage().heapUsed
    const fiber = yield* Effect.fork(
      Effect.forEach(
        Array.from({ length: n }, (_, i) => i),
        (i) => Effect.flatMap(Session.run(TwoPhaseCommit, { Coordinator: coordinator(i), Participant: gatedParticipant(voteOf(i), gate) }), (r) => checked(i, r)),
        { concurrency: "unbounded", discard: true }
      )
    )
    // Wait until every session is blocked at its gate.
    while (arrived < n) yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    gc!()
    gc!()
    const during = process.memoryUsage().heapUsed
    yield* latch.open
    yield* fiber.await.pipe(Effect.flatMap((exit) => exit))
    return (during - before) / n
  })

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
/** Seconds of one run, by the wall clock and by the process's CPU time (user + system: a loaded machine deschedules it). */
const timed = async (e: Effect.Effect<void, unknown>): Promise<{ readonly wall: number; readonly cpu: number }> => {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await Effect.runPromise(e)
  const used = process.cpuUsage(c0)
  return { wall: (performance.now() - t0) / 1000, cpu: (used.user + used.system) / 1e6 }
}

const main = async () => {
  console.log(`TwoPhaseCommit sessions: ${SESSIONS} one at a time, ${CONCURRENT} at once; ${WARMUP} warm-up + ${RUNS} measured runs, alternating; node ${process.version}`)
  const want = (c: string) => ONLY === undefined || ONLY === c
  const seq: Array<number> = []
  const conc: Array<number> = []
  const seqCpu: Array<number> = []
  const concCpu: Array<number> = []
  const heap: Array<number> = []
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const order = i % 2 === 0 ? ["sequential", "concurrent", "heap"] : ["heap", "concurrent", "sequential"]
    for (const c of order) {
      if (!want(c)) continue
      if (c === "sequential") {
        const t = await timed(sequential(SESSIONS))
        if (i >= WARMUP) seq.push(SESSIONS / t.wall), seqCpu.push(SESSIONS / t.cpu)
      } else if (c === "concurrent") {
        const t = await timed(concurrent(CONCURRENT))
        if (i >= WARMUP) conc.push(CONCURRENT / t.wall), concCpu.push(CONCURRENT / t.cpu)
      } else {
        const b = await Effect.runPromise(heapPerSession(CONCURRENT))
        if (i >= WARMUP) heap.push(b)
      }
    }
  }
  const k = (x: number) => `${(x / 1000).toFixed(2)}k`
  if (seq.length > 0) console.log(`sequential   median ${k(median(seq))} sessions/s (wall), ${k(median(seqCpu))} (CPU)   runs, wall ${seq.map(k).join(" ")}`)
  if (conc.length > 0) console.log(`concurrent   median ${k(median(conc))} sessions/s (wall), ${k(median(concCpu))} (CPU)   runs, wall ${conc.map(k).join(" ")}   (${CONCURRENT} in ${(CONCURRENT / median(conc)).toFixed(2)} s)`)
  if (heap.length > 0) console.log(`heap         median ${(median(heap) / 1024).toFixed(1)} KB live per session   runs ${heap.map((b) => (b / 1024).toFixed(1)).join(" ")}`)
  if (seq.length > 0 && conc.length > 0) {
    console.log(`ratio concurrent/sequential (per-session rate) = ${(median(conc) / median(seq)).toFixed(3)} (wall), ${(median(concCpu) / median(seqCpu)).toFixed(3)} (CPU)`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
