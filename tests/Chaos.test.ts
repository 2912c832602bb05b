import { it } from "@effect/vitest"
import { Cause, Chunk, Effect, Exit, Fiber, Layer, Option, Schedule, TestClock } from "effect"
import { describe, expect } from "vitest"
import * as TraceSink from "../src/effects/TraceSink.js"
import type { TraceEvent } from "../src/effects/TraceSink.js"
import { type Envelope, Transport, type TransportService } from "../src/effects/Transport.js"
import * as Chaos from "../src/handlers/chaos.js"
import * as Deterministic from "../src/handlers/deterministic.js"
import * as Memory from "../src/handlers/memory.js"
import * as Reliable from "../src/handlers/reliable.js"
import { Session } from "../src/index.js"
import { simulate, simulateEffect } from "../src/testing/simulate.js"
import * as TwoPhaseCommit from "../examples/two-phase-commit.js"

const frame = (seq: number, from = "A", to = "B", lane?: string): Envelope => ({
  session: "s",
  from,
  to,
  label: "Data",
  site: "0",
  loops: {},
  seq,
  payload: seq,
  lane
})

/** A transport that only keeps what it is asked to send, in order. */
const collector = () => {
  const sent: Array<Envelope> = []
  const transport: TransportService = {
    serialises: false,
    send: (e) => Effect.sync(() => void sent.push(e)),
    receive: () => Effect.never
  }
  return { sent, transport }
}

/** Sends frames 0..n-1 from A to B through chaos over a collector; what reached the collector, and the trace. */
const throughChaos = (options: Chaos.ChaosOptions, n: number) =>
  Effect.gen(function*() {
    const { sent, transport } = collector()
    const recorder = TraceSink.unsafeMakeRecorder()
    const chaos = yield* Effect.provideService(Chaos.wrap(transport, options), TraceSink.TraceSink, recorder)
    for (let i = 0; i < n; i++) yield* chaos.send(frame(i))
    return { sent, events: recorder.events() }
  })

const seqs = (frames: ReadonlyArray<Envelope>) => frames.map((e) => e.seq)
const tags = (events: ReadonlyArray<TraceEvent>, tag: TraceEvent["_tag"]) => events.filter((e) => e._tag === tag)

describe("Chaos", () => {
  it.scoped("drops about the given share of frames, records each drop, and the same seed drops the same ones", () =>
    Effect.gen(function*() {
      const a = yield* throughChaos({ seed: 7, drop: 0.1 }, 5000)
      // 4500 expected; the standard deviation is about 21.
      expect(a.sent.length).toBeGreaterThan(4380)
      expect(a.sent.length).toBeLessThan(4620)
      const drops = tags(a.events, "Drop")
      expect(drops.length).toBe(5000 - a.sent.length)
      expect(drops.every((d) => d.reason === "chaos" && d.role === "A" && d.peer === "B" && d.label === "Data")).toBe(true)
      // Nothing else happens to the frames: the rest pass in order.
      expect(seqs(a.sent)).toEqual([...seqs(a.sent)].sort((x, y) => x - y))
      const again = yield* throughChaos({ seed: 7, drop: 0.1 }, 5000)
      expect(seqs(again.sent)).toEqual(seqs(a.sent))
      const other = yield* throughChaos({ seed: 8, drop: 0.1 }, 5000)
      expect(seqs(other.sent)).not.toEqual(seqs(a.sent))
    }))

  it.scoped("duplicates about the given share of frames", () =>
    Effect.gen(function*() {
      const { events, sent } = yield* throughChaos({ seed: 3, duplicate: 0.05 }, 4000)
      const dups = tags(events, "Duplicate").length
      expect(dups).toBeGreaterThan(130)
      expect(dups).toBeLessThan(270)
      expect(sent.length).toBe(4000 + dups)
    }))

  it.scoped("delays frames by Clock time (TestClock here), keeping each link's order without reordering", () =>
    Effect.gen(function*() {
      const { sent, transport } = collector()
      const chaos = yield* Chaos.wrap(transport, { seed: 1, delay: { min: "10 millis", max: "50 millis" } })
      for (let i = 0; i < 100; i++) yield* chaos.send(frame(i))
      expect(sent.length).toBe(0)
      yield* TestClock.adjust("9 millis")
      expect(sent.length).toBe(0)
      yield* TestClock.adjust("41 millis")
      expect(seqs(sent)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    }))

  it.scoped("reorders frames when asked", () =>
    Effect.gen(function*() {
      const { sent, transport } = collector()
      const chaos = yield* Chaos.wrap(transport, { seed: 1, delay: { min: "0 millis", max: "50 millis" }, reorder: 0.5 })
      for (let i = 0; i < 100; i++) yield* chaos.send(frame(i))
      yield* TestClock.adjust("1 second")
      expect([...seqs(sent)].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i))
      expect(seqs(sent)).not.toEqual(Array.from({ length: 100 }, (_, i) => i))
    }))

  it.scoped("cuts the sides of a partition off from each other until it heals, in both directions only", () =>
    Effect.gen(function*() {
      const { sent, transport } = collector()
      const recorder = TraceSink.unsafeMakeRecorder()
      const chaos = yield* Effect.provideService(
        Chaos.wrap(transport, { seed: 1, partitions: [{ between: [["A"], ["B", "C"]], from: "10 millis", until: "100 millis" }] }),
        TraceSink.TraceSink,
        recorder
      )
      yield* chaos.send(frame(0, "A", "B")) // t = 0: before the partition
      yield* TestClock.adjust("20 millis")
      yield* chaos.send(frame(1, "A", "B")) // cut
      yield* chaos.send(frame(0, "C", "A")) // cut
      yield* chaos.send(frame(0, "B", "C")) // same side: passes
      yield* TestClock.adjust("80 millis")
      yield* chaos.send(frame(2, "A", "B")) // t = 100: healed
      expect(sent.map((e) => `${e.from}${e.to}${e.seq}`)).toEqual(["AB0", "BC0", "AB2"])
      expect(tags(recorder.events(), "Drop").map((e) => `${e.role}${e.peer}${e.seq} ${e.reason}`)).toEqual([
        "AB1 partition",
        "CA0 partition"
      ])
    }))

  it("rejects rates that are not probabilities", () => {
    expect(() => Effect.runSync(Effect.scoped(Chaos.wrap(collector().transport, { seed: 1, drop: 1.5 })))).toThrow(
      "drop must be a probability from 0 to 1"
    )
  })
})

/** A's side sends `n` frames to B; B's side takes them in: all on the layers given, on a simulator. */
const stream = (n: number, network: Layer.Layer<Transport, never, Transport>, seed: number) =>
  simulateEffect(
    Effect.gen(function*() {
      const transport = yield* Transport
      const receiver = yield* Effect.fork(
        Effect.forEach(Array.from({ length: n }), () => Effect.map(transport.receive("s", "B"), (e) => e.seq))
      )
      for (let i = 0; i < n; i++) yield* transport.send(frame(i))
      return yield* Fiber.join(receiver)
    }).pipe(Effect.provide(network)),
    { seed }
  )

describe("Reliable", () => {
  it.effect("over heavy chaos, every frame reaches the receiver exactly once and in order (20 seeds)", () =>
    Effect.gen(function*() {
      let retransmitted = 0
      let dropped = 0
      for (let seed = 0; seed < 20; seed++) {
        const chaos = Chaos.layer({ seed, drop: 0.3, duplicate: 0.2, reorder: 0.3, delay: { min: "0 millis", max: "30 millis" } })
        const sim = yield* stream(300, Layer.provide(Reliable.layer(), chaos), seed)
        expect(Exit.isSuccess(sim.exit)).toBe(true)
        if (Exit.isSuccess(sim.exit)) expect(sim.exit.value).toEqual(Array.from({ length: 300 }, (_, i) => i))
        retransmitted += sim.trace.filter((e) => e._tag === "Retransmit").length
        dropped += sim.trace.filter((e) => e._tag === "Drop").length
      }
      expect(dropped).toBeGreaterThan(1000)
      expect(retransmitted).toBeGreaterThan(1000)
    }))

  it.effect("without it, the same chaos loses, duplicates and reorders frames", () =>
    Effect.gen(function*() {
      const chaos = Chaos.layer({ seed: 1, drop: 0.3, duplicate: 0.2, reorder: 0.3, delay: { min: "0 millis", max: "30 millis" } })
      const sim = yield* stream(300, chaos, 1)
      // The receiver waits for 300 frames; fewer distinct ones arrive: the simulator finds it stuck.
      expect(Exit.isFailure(sim.exit)).toBe(true)
    }))

  it.effect("gives up when its schedule runs out, and the sender's next receive fails naming the frame", () =>
    Effect.gen(function*() {
      const retransmit = Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
      const network = Layer.provide(Reliable.layer({ retransmit }), Chaos.layer({ seed: 1, drop: 1 }))
      const sim = yield* simulateEffect(
        Effect.gen(function*() {
          const transport = yield* Transport
          yield* transport.send(frame(0))
          return yield* transport.receive("s", "A")
        }).pipe(Effect.provide(network)),
        { seed: 1 }
      )
      expect(Exit.isFailure(sim.exit)).toBe(true)
      const error = Exit.isFailure(sim.exit) ? Option.getOrUndefined(Cause.failureOption(sim.exit.cause)) : undefined
      expect(error?._tag).toBe("TransportError")
      expect(error?.message).toBe("A gave up on Data to B (site 0, seq 0): no acknowledgement after 3 retransmissions")
      expect(sim.trace.filter((e) => e._tag === "Retransmit")).toHaveLength(3)
      expect(sim.time).toBe(30)
    }))
})

describe("Timeouts and deadlocks on the simulated network", () => {
  const roles = { Coordinator: TwoPhaseCommit.coordinator(1), Participant: TwoPhaseCommit.participant("commit") }

  it.effect("a lost message fails the session with a Timeout that names role, peer, label and site, in virtual time", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const sim = yield* simulate(TwoPhaseCommit.TwoPhaseCommit, roles, {
        seed: 1,
        chaos: { drop: 1 },
        receiveTimeout: "1 hour"
      })
      expect(Date.now() - started).toBeLessThan(2000)
      expect(sim.time).toBe(3_600_000)
      const failures = Exit.isFailure(sim.exit) ? Chunk.toArray(Cause.failures(sim.exit.cause)) : []
      expect(failures.map((f) => f._tag)).toContain("Timeout")
      const timeout = failures.find((f) => f._tag === "Timeout")!
      // Both wait from the start; the Coordinator's wait began first, so it times out first.
      expect(timeout.message).toBe(
        "Coordinator waited 3600000 ms for PrepareResponse from Participant (site 1) and nothing came"
      )
      expect(timeout).toMatchObject({ role: "Coordinator", peer: "Participant", label: "PrepareResponse", site: "1" })
    }))

  it.effect("without a timeout, a session that can never go on fails with a deadlock instead of hanging", () =>
    Effect.gen(function*() {
      const sim = yield* simulate(TwoPhaseCommit.TwoPhaseCommit, roles, { seed: 1, chaos: { drop: 1 } })
      const failures = Exit.isFailure(sim.exit) ? Chunk.toArray(Cause.failures(sim.exit.cause)) : []
      expect(failures[0]?._tag).toBe("TransportError")
      expect(failures[0]?.message).toContain("deadlock")
      expect(failures[0]?.message).toContain("Coordinator, Participant wait for a frame that can never come")
    }))

  it.effect("Deterministic.layer runs a session on its own: the same seed gives the same trace", () =>
    Effect.gen(function*() {
      const once = (seed: number) =>
        TraceSink.recording(
          Session.run(TwoPhaseCommit.TwoPhaseCommit, roles).pipe(Effect.provide(Deterministic.layer({ seed })))
        )
      const [ra, a] = yield* once(5)
      const [, b] = yield* once(5)
      expect(ra.Coordinator.outcome).toBe("committed")
      expect(b).toEqual(a)
    }))

  it.effect("under TestClock, chaos without the reliable layer ends in a typed error within the bound", () =>
    Effect.gen(function*() {
      const network = Layer.provide(Chaos.layer({ seed: 2, drop: 1 }), Memory.layer)
      const fiber = yield* Effect.fork(
        Session.run(TwoPhaseCommit.TwoPhaseCommit, roles, { receiveTimeout: "5 seconds" }).pipe(Effect.provide(network))
      )
      yield* TestClock.adjust("5 seconds")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
      const failures = Exit.isFailure(exit) ? Chunk.toArray(Cause.failures(exit.cause)) : []
      expect(failures.map((f) => f._tag)).toContain("Timeout")
    }))
})
