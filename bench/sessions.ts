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
 * The same three, as a floor, for the same exchange written by hand in Effect (one forked fiber
 * and the session's own, over two one-slot `Effect.async` channels, no Quadrille): what Effect
 * itself costs per session.
 *
 * Every session's result is checked (both roles' final states, commit and abort alternating).
 *
 * Usage: `npm run bench:sessions` (= node --expose-gc --import tsx bench/sessions.ts)
 * Env: SESSIONS (20000), CONCURRENT (10000), RUNS (5), WARMUP (1), ONLY=sequential|concurrent|heap.
 */
import { Effect, Fiber } from "effect"
import { Role, Session } from "../src/index.js"
import { coordinator, participant, TwoPhaseCommit } from "../examples/two-phase-commit.js"
import { Slot } from "./slot.js"

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

// ---------------------------------------------------------------------------------------
// The floor: the same exchange written by hand in Effect, no Quadrille: the Participant on a
// fiber it forks, the Coordinator on the session's own, over two one-slot `Effect.async`
// channels (the `fastest` channel of bench/ping-pong.ts), the same four messages and final states.


type ToP = { readonly _tag: "PrepareRequest" | "CommitRequest" | "AbortRequest"; readonly transactionId: number }
type ToC = { readonly _tag: "PrepareResponse"; readonly vote: Vote } | { readonly _tag: "CommitAck" | "AbortAck" }

const handWritten = (i: number, gate: Effect.Effect<void> = Effect.void) =>
  Effect.gen(function*() {
    const toP = new Slot<ToP>()
    const toC = new Slot<ToC>()
    const c = Effect.gen(function*() {
      toP.offer({ _tag: "PrepareRequest", transactionId: i })
      const r = yield* toC.take
      const vote: Vote = r._tag === "PrepareResponse" ? r.vote : "abort"
      toP.offer({ _tag: vote === "commit" ? "CommitRequest" : "AbortRequest", transactionId: i })
      const ack = yield* toC.take
      return { transactionId: i, vote, outcome: ack._tag === "CommitAck" ? "committed" : "aborted" }
    })
    const p = Effect.gen(function*() {
      const req = yield* toP.take
      yield* gate
      toC.offer({ _tag: "PrepareResponse", vote: voteOf(i) })
      const outcome = yield* toP.take
      toC.offer({ _tag: outcome._tag === "CommitRequest" ? "CommitAck" : "AbortAck" })
      return { transactionId: req.transactionId, applied: outcome._tag === "CommitRequest" ? "committed" : "aborted" }
    })
    // The Participant on a fiber of its own, the Coordinator on the session's: the cheapest way we know.
    const participantFiber = yield* Effect.fork(p)
    const Coordinator = yield* c
    const Participant = yield* Fiber.join(participantFiber)
    return yield* checked(i, { Coordinator, Participant })
  })

const sequentialOf = (one: (i: number) => Effect.Effect<void, unknown>) => (n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < n; i++) yield* one(i)
  })
const concurrentOf = (one: (i: number) => Effect.Effect<void, unknown>) => (n: number) =>
  Effect.forEach(Array.from({ length: n }, (_, i) => i), one, { concurrency: "unbounded", discard: true })

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
const heapPerSession = (n: number, floor: boolean) =>
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
        (i) =>
          floor
            ? handWritten(i, gate)
            : Effect.flatMap(Session.run(TwoPhaseCommit, { Coordinator: coordinator(i), Participant: gatedParticipant(voteOf(i), gate) }), (r) => checked(i, r)),
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
  const cases = [
    { name: "sequential", run: (floor: boolean) => (floor ? sequentialOf((i) => handWritten(i)) : sequentialOf(session))(SESSIONS), n: SESSIONS },
    { name: "concurrent", run: (floor: boolean) => (floor ? concurrentOf((i) => handWritten(i)) : concurrentOf(session))(CONCURRENT), n: CONCURRENT }
  ] as const
  const rates = new Map<string, Array<{ readonly wall: number; readonly cpu: number }>>()
  const heap = new Map<string, Array<number>>()
  const push = <A>(m: Map<string, Array<A>>, k: string, a: A) => void (m.get(k) ?? m.set(k, []).get(k)!).push(a)
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const order = i % 2 === 0 ? [false, true] : [true, false]
    for (const floor of order) {
      const who = floor ? "floor" : "quadrille"
      for (const c of i % 2 === 0 ? cases : [...cases].reverse()) {
        if (ONLY !== undefined && ONLY !== c.name) continue
        const t = await timed(c.run(floor))
        if (i >= WARMUP) push(rates, `${who} ${c.name}`, { wall: c.n / t.wall, cpu: c.n / t.cpu })
      }
      if (ONLY === undefined || ONLY === "heap") {
        const b = await Effect.runPromise(heapPerSession(CONCURRENT, floor))
        if (i >= WARMUP) push(heap, who, b)
      }
    }
  }
  const k = (x: number) => `${(x / 1000).toFixed(2)}k`
  const wall = (name: string) => median(rates.get(name)!.map((r) => r.wall))
  const cpu = (name: string) => median(rates.get(name)!.map((r) => r.cpu))
  for (const name of rates.keys()) {
    console.log(`${name.padEnd(22)} median ${k(wall(name))} sessions/s (wall), ${k(cpu(name))} (CPU)   runs, wall ${rates.get(name)!.map((r) => k(r.wall)).join(" ")}`)
  }
  for (const [who, bs] of heap) console.log(`${`${who} heap`.padEnd(22)} median ${(median(bs) / 1024).toFixed(1)} KB live per blocked session   runs ${bs.map((b) => (b / 1024).toFixed(1)).join(" ")}`)
  const ratio = (a: string, b: string) => {
    if (rates.has(a) && rates.has(b)) console.log(`ratio ${a} / ${b} = ${(wall(a) / wall(b)).toFixed(3)} (wall), ${(cpu(a) / cpu(b)).toFixed(3)} (CPU)`)
  }
  ratio("quadrille concurrent", "quadrille sequential")
  ratio("floor concurrent", "floor sequential")
  ratio("quadrille sequential", "floor sequential")
  ratio("quadrille concurrent", "floor concurrent")
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
