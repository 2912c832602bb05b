/**
 * Hand-written roles (`Role.program`) run durably: a program has no snapshot, its journal runs
 * from the start, and a resumed program replays it (the frames it had fed back in order, the
 * frames it sent checked and not sent again).
 *
 * - The programs of examples/hand-written.ts (TwoPhaseCommit's Participant, DataStreaming's
 *   Consumer), against generated peers: every role crashed at every commit, both ways, on the
 *   in-memory transport and on the simulator; the results must be those of the run without a crash.
 * - A program kept by its journal: its record is of kind "program", with no snapshot.
 * - Programs that do something else on replay (a send whose payload comes from a counter
 *   outside the program) fail with `ReplayDivergence`, naming the role, the lane and the label.
 */
import { Cause, Effect, Either, Exit, Fiber, Option } from "effect"
import { describe, expect, it } from "vitest"
import { Memory, ReplayDivergence, Role, Storage, type Transport } from "../../src/index.js"
import type { Any } from "../../src/protocol/Protocol.js"
import { simulateEffect } from "../../src/testing/index.js"
import { DistributedConsensus, node2, node3 } from "../../examples/distributed-consensus.js"
import * as HandWritten from "../../examples/hand-written.js"
import { producer, DataStreaming } from "../../examples/streaming.js"
import { coordinator, TwoPhaseCommit } from "../../examples/two-phase-commit.js"
import { type Crash, crashPoints, describeFailure, type DurableRun, guarded, runDurable, valueOf } from "../fixtures/durable.js"

type Impls = Readonly<Record<string, Role.Resumable<Any, string, unknown, unknown, never>>>

interface Example {
  readonly name: string
  readonly protocol: Any
  readonly impls: Impls
}

/** The sessions examples/hand-written.ts runs. */
const examples: ReadonlyArray<Example> = [
  { name: "TwoPhaseCommit, hand-written Participant (transaction 42: commit)", protocol: TwoPhaseCommit, impls: { Coordinator: coordinator(42), Participant: HandWritten.participant } },
  { name: "TwoPhaseCommit, hand-written Participant (transaction 7: abort)", protocol: TwoPhaseCommit, impls: { Coordinator: coordinator(7), Participant: HandWritten.participant } },
  {
    name: "DataStreaming, hand-written Consumer",
    protocol: DataStreaming,
    impls: { Producer: producer("by-hand", ["typed ", "linear ", "endpoints"]), Consumer: HandWritten.consumer }
  }
]


interface Network {
  readonly name: string
  readonly run: <A>(name: string, effect: Effect.Effect<A, unknown, Transport>) => Promise<Exit.Exit<A, unknown>>
}

const networks: ReadonlyArray<Network> = [
  { name: "memory", run: (name, effect) => guarded(name, 1000, effect.pipe(Effect.provide(Memory.layer))) },
  ...[3, 17].map((seed): Network => ({
    name: `simulator (seed ${seed})`,
    run: (name, effect) => guarded(name, 5000, Effect.flatMap(simulateEffect(effect, { seed }), (sim) => sim.exit))
  }))
]


const durably = (example: Example, crash?: Crash) => runDurable(example.protocol, example.impls, { sessionId: "programs", crash })

// The runs without a crash first: how many commits each role makes.
const baselines: Array<{ readonly example: Example; readonly network: Network; readonly run: Exit.Exit<DurableRun, unknown> }> = []
for (const network of networks) {
  for (const example of examples) baselines.push({ example, network, run: await network.run(example.name, durably(example)) })
}

for (const network of networks) {
  describe(`hand-written programs, crashed at every commit, on ${network.name}`, () => {
    for (const { example, run } of baselines.filter((b) => b.network === network)) {
      describe(example.name, () => {
        it("runs durably without a crash", () => {
          expect(valueOf(run).crashed).toBe(false)
        })
        if (Exit.isFailure(run)) return
        const baseline = run.value
        for (const { role, at, when } of crashPoints(example.protocol.roles, baseline.commits)) {
          it(`${role} crashes ${when} at commit ${at} of ${baseline.commits[role]}`, async () => {
            const crashed = valueOf(await network.run(example.name, durably(example, { role, at, when })))
            expect(crashed.crashed, "the crash happened").toBe(true)
            expect(crashed.results, `results after the crash: ${JSON.stringify(crashed.results)}\nwithout a crash: ${JSON.stringify(baseline.results)}`).toEqual(baseline.results)
          })
        }
      })
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Direct runs on one Storage

/** Runs `role` durably on `storage`, and every other role durably on `others` (their own storage). */
const resumeOn = (protocol: Any, impls: Impls, role: string, storage: Storage.StorageService, sessionId: string) =>
  Role.resume(protocol, role as never, impls[role] as never, { sessionId }).pipe(Effect.provideService(Storage.Storage, storage)) as Effect.Effect<
    unknown,
    unknown,
    Transport
  >

/**
 * Runs the session durably; `role` is stopped at its first commit, right after its checkpoint
 * is written (its frames not sent; as a dead process, it writes nothing more), and resumed from
 * it on the same storage. The exit of the resumed run; the other roles run alongside and are
 * stopped once it has ended (what becomes of them does not matter here).
 */
const crashOnceAndResume = (protocol: Any, impls: Impls, role: string, sessionId: string) =>
  Effect.gen(function*() {
    const storage = Storage.unsafeMakeMemory()
    let dead = false
    const crashing: Storage.StorageService = {
      ...storage,
      set: (key, value) => (dead ? Effect.interrupt : Effect.zipRight(storage.set(key, value), Effect.suspend(() => ((dead = true), Effect.interrupt))))
    }
    const peers = yield* Effect.forEach(
      protocol.roles.filter((r) => r !== role),
      (r) => Effect.fork(Effect.either(resumeOn(protocol, impls, r, Storage.unsafeMakeMemory(), sessionId)))
    )
    const first = yield* Effect.exit(resumeOn(protocol, impls, role, crashing, sessionId))
    expect(Exit.isInterrupted(first), "stopped at its first commit").toBe(true)
    const resumed = yield* Effect.exit(resumeOn(protocol, impls, role, storage, sessionId))
    yield* Effect.forEach(peers, Fiber.interrupt, { discard: true })
    return resumed
  })

/** The `ReplayDivergence` a run failed with. */
const divergenceOf = (exit: Exit.Exit<unknown, unknown>): ReplayDivergence => {
  expect(Exit.isFailure(exit), "the resumed program fails").toBe(true)
  const failure = Cause.failureOption((exit as Exit.Failure<unknown, unknown>).cause)
  expect(Option.isSome(failure), describeFailure((exit as Exit.Failure<unknown, unknown>).cause)).toBe(true)
  const error = (failure as Option.Some<unknown>).value
  expect(error).toBeInstanceOf(ReplayDivergence)
  return error as ReplayDivergence
}

describe("a program is kept by its journal", () => {
  it("the Participant's record is of kind program, with no snapshot and every step since the start", async () => {
    const storage = Storage.unsafeMakeMemory()
    const impls: Impls = { Coordinator: coordinator(42), Participant: HandWritten.participant }
    const results = await Effect.runPromise(
      Effect.all([
        resumeOn(TwoPhaseCommit, impls, "Coordinator", Storage.unsafeMakeMemory(), "journal"),
        resumeOn(TwoPhaseCommit, impls, "Participant", storage, "journal")
      ], { concurrency: "unbounded" }).pipe(Effect.provide(Memory.layer))
    )
    expect(results[1]).toBe("committed 42")
    const key = Storage.checkpointKey("TwoPhaseCommit", "journal", "Participant")
    const text = Option.getOrThrow(await Effect.runPromise(storage.get(key)))
    const record = JSON.parse(text) as { kind: string; snapshot: unknown; finished: boolean; journal: ReadonlyArray<{ t: string; label?: string; e?: { label: string } }> }
    expect(record.kind).toBe("program")
    expect(record.snapshot).toBeNull()
    expect(record.finished).toBe(true)
    expect(record.journal.map((j) => `${j.t} ${j.label ?? j.e?.label}`)).toEqual(["r PrepareRequest", "s PrepareResponse", "r CommitRequest", "s CommitAck"])
  })
})

describe("a program that does something else on replay fails with ReplayDivergence", () => {
  it("on the main lane: a vote from a counter outside the program", async () => {
    let runs = 0
    const fickle = Role.program(TwoPhaseCommit, "Participant", (ch) =>
      Effect.gen(function*() {
        const [req, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
        // Outside state steering a send: commit the first time, abort the next.
        runs++
        const c2 = yield* c1.send("Coordinator", "PrepareResponse", { vote: runs === 1 ? "commit" : "abort" })
        const branch = yield* c2.offer()
        const end = yield* (branch.label === "CommitRequest" ? branch.next.send("Coordinator", "CommitAck", {}) : branch.next.send("Coordinator", "AbortAck", {}))
        return yield* end.close(req.transactionId)
      }))
    const exit = await Effect.runPromise(
      crashOnceAndResume(TwoPhaseCommit, { Coordinator: coordinator(42), Participant: fickle }, "Participant", "fickle").pipe(Effect.provide(Memory.layer), Effect.timeout("5 seconds"))
    )
    expect(runs).toBe(2)
    const e = divergenceOf(exit)
    expect(e._tag).toBe("ReplayDivergence")
    expect(e.role).toBe("Participant")
    expect(e.protocol).toBe("TwoPhaseCommit")
    expect(e.lane).toBe("")
    expect(e.expected).toMatch(/send of PrepareResponse to Coordinator/)
    expect(e.actual).toMatch(/send of PrepareResponse to Coordinator/)
    expect(e.message).toMatch(/^Participant of TwoPhaseCommit/)
    expect(e.message).toMatch(/PrepareResponse/)
  })

  it("on a lane of a parallel: a proposal from a counter outside the program", async () => {
    let draws = 0
    const fickle = Role.program(DistributedConsensus, "Node1", (ch) =>
      Effect.gen(function*() {
        const { next, results: [, , p2, p3] } = yield* ch.parallel(
          // Outside state steering a send, on the lane of the first branch.
          (b) => Effect.flatMap(b.send("Node2", "Proposal", { proposer: "Node1", value: ++draws }), (end) => end.close(0)),
          (b) => Effect.flatMap(b.send("Node3", "Proposal", { proposer: "Node1", value: 4 }), (end) => end.close(0)),
          (b) => Effect.flatMap(b.recv("Node2", "Proposal"), ([p, end]) => end.close(p.value)),
          (b) => Effect.flatMap(b.recv("Node3", "Proposal"), ([p, end]) => end.close(p.value))
        )
        const decision = { value: 4, proposals: { Node1: 4, Node2: p2, Node3: p3 } }
        const c1 = yield* next.send("Node2", "Decision", decision)
        const end = yield* c1.send("Node3", "Decision", decision)
        return yield* end.close(decision)
      }))
    const exit = await Effect.runPromise(
      crashOnceAndResume(DistributedConsensus, { Node1: fickle, Node2: node2(7), Node3: node3(4) }, "Node1", "fickle").pipe(Effect.provide(Memory.layer), Effect.timeout("5 seconds"))
    )
    expect(draws).toBe(2)
    const e = divergenceOf(exit)
    expect(e._tag).toBe("ReplayDivergence")
    expect(e.role).toBe("Node1")
    expect(e.lane).toBe("0.0#0")
    expect(e.expected).toMatch(/send of Proposal to Node2/)
    expect(e.message).toMatch(/^Node1 of DistributedConsensus/)
    expect(e.message).toMatch(/lane 0\.0#0/)
    expect(e.message).toMatch(/Proposal/)
  })

  it("a deterministic program resumed the same way does not diverge", async () => {
    const exit = await Effect.runPromise(
      crashOnceAndResume(TwoPhaseCommit, { Coordinator: coordinator(42), Participant: HandWritten.participant }, "Participant", "steady").pipe(Effect.provide(Memory.layer), Effect.timeout("5 seconds"))
    )
    expect(Exit.isSuccess(exit) ? exit.value : Either.left(describeFailure(exit.cause))).toBe("committed 42")
  })
})
