import { it } from "@effect/vitest"
import { Cause, Chunk, Deferred, Effect, Exit, Fiber, Layer, Option, Schedule, Schema, TestClock } from "effect"
import { describe, expect } from "vitest"
import * as TraceSink from "../src/effects/TraceSink.js"
import type { TraceEvent } from "../src/effects/TraceSink.js"
import { type Envelope, Transport, type TransportService } from "../src/effects/Transport.js"
import * as Chaos from "../src/handlers/chaos.js"
import * as Deterministic from "../src/handlers/deterministic.js"
import * as Memory from "../src/handlers/memory.js"
import * as Reliable from "../src/handlers/reliable.js"
import { Protocol, Role, Session } from "../src/index.js"
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
  it.effect("acks ride on the frames going back: 100 round trips on the simulator send one ack frame in all, the last", () =>
    Effect.gen(function*() {
      const { PingPong, playerA, playerB } = yield* Effect.promise(() => import("../bench/ping-pong-protocol.js"))
      const roles = { A: playerA(100), B: playerB }
      const plain = yield* simulate(PingPong, roles, { seed: 1 })
      const reliable = yield* simulate(PingPong, roles, { seed: 1, reliable: true })
      expect(Exit.isSuccess(reliable.exit) && reliable.exit.value).toEqual({ A: 100, B: 100 })
      // 100 Pings, 100 Pongs and the Stop; over the layer, one more: B's ack of the Stop, at its end.
      expect(plain.delivered).toBe(201)
      expect(reliable.delivered).toBe(202)
      expect(reliable.trace.filter((e) => e._tag === "Retransmit")).toEqual([])
    }))

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

  it.effect("without it, the same chaos loses, duplicates and reorders frames, and the stuck receiver fails", () =>
    Effect.gen(function*() {
      const chaos = Chaos.layer({ seed: 1, drop: 0.3, duplicate: 0.2, reorder: 0.3, delay: { min: "0 millis", max: "30 millis" } })
      const got: Array<number> = []
      const sim = yield* simulateEffect(
        Effect.gen(function*() {
          const transport = yield* Transport
          const receiver = yield* Effect.fork(Effect.forever(Effect.map(transport.receive("s", "B"), (e) => got.push(e.seq))))
          for (let i = 0; i < 300; i++) yield* transport.send(frame(i))
          return yield* Fiber.join(receiver)
        }).pipe(Effect.provide(chaos)),
        { seed: 1 }
      )
      // Lost, duplicated and reordered: what B got is not 0..299 once each in order.
      expect(new Set(got).size).toBeLessThan(300)
      expect(got.length).toBeGreaterThan(new Set(got).size)
      expect(got.some((seq, i) => i > 0 && seq < got[i - 1])).toBe(true)
      // Once nothing is in flight, B waits for ever: the simulator fails it with a deadlock.
      const error = Exit.isFailure(sim.exit) ? Option.getOrUndefined(Cause.failureOption(sim.exit.cause)) : undefined
      expect(error?._tag).toBe("TransportError")
      expect(error?.message).toContain("deadlock")
      expect(error?.message).toContain("B waits for a frame that can never come")
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
      // Retransmissions at 10, 20 and 30 ms; the last copy gets as long as the last wait.
      expect(sim.time).toBe(40)
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
      // A simulated hour takes no real hour (a generous bound: the point is virtual time).
      expect(Date.now() - started).toBeLessThan(10_000)
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
      expect(failures[0]?.message).toBe(
        "Coordinator was waiting for PrepareResponse from Participant (site 1): simulated network (seed 1): deadlock at 0 ms — no frame is in flight, no timer is set, and Coordinator, Participant wait for a frame that can never come"
      )
      expect(failures[0]).toMatchObject({ role: "Coordinator", peer: "Participant" })
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

const N = Schema.Number
/** A -> B: M, then B -> A: R. */
const Exchange = Protocol.make("Exchange", { roles: ["A", "B"], messages: { M: N, R: N } }, (g) =>
  g.msg("A", "B", "M").msg("B", "A", "R"))
const exchangeA = Role.implement(Exchange, "A", { send: { M: () => 1 }, recv: { R: (_, r) => r } }, 0)
/** B does an hour of work (virtual time) before it reads. */
const lateB = Role.program(Exchange, "B", (ch) =>
  Effect.gen(function*() {
    yield* Effect.sleep("1 hour")
    const [m, c1] = yield* ch.recv("A", "M")
    const end = yield* c1.send("A", "R", m + 1)
    return yield* end.close(m)
  }))

/** A -> B: M, and nothing more: A has ended when its frame still needs retransmitting. */
const OneWay = Protocol.make("OneWay", { roles: ["A", "B"], messages: { M: N } }, (g) => g.msg("A", "B", "M"))
const oneWay = {
  A: Role.implement(OneWay, "A", { send: { M: () => 1 } }, "sent"),
  B: Role.implement(OneWay, "B", { recv: { M: (_, m) => m } }, 0)
}
const shortRetransmit = Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3)))

describe("Reliable: acknowledgement and giving up, whoever is reading", () => {
  it.effect("acknowledges frames a role has not started reading yet: a slow reader is no failure", () =>
    Effect.gen(function*() {
      const sim = yield* simulate(Exchange, { A: exchangeA, B: lateB }, { seed: 1, reliable: true })
      expect(Exit.isSuccess(sim.exit) && sim.exit.value).toEqual({ A: 2, B: 1 })
      // One transmission each, acknowledged at once: nothing was sent again.
      expect(sim.trace.filter((e) => e._tag === "Retransmit")).toEqual([])
      expect(sim.time).toBeGreaterThanOrEqual(3_600_000)
    }))

  it.effect("when a sender's last frame is given up, the sender does not succeed and the receiver waiting for it fails with why", () =>
    Effect.gen(function*() {
      const sim = yield* simulate(OneWay, oneWay, {
        seed: 1,
        chaos: { drop: 1 },
        reliable: { retransmit: shortRetransmit }
      })
      const failures = Exit.isFailure(sim.exit) ? Chunk.toArray(Cause.failures(sim.exit.cause)) : []
      // A's role ends only once its frames are acknowledged: it fails with the give-up, and so does B.
      expect(failures.map((f) => f.message).sort()).toEqual([
        "A gave up on M to B (site 0, seq 0): no acknowledgement after 3 retransmissions",
        "B was waiting for M from A (site 0): A gave up on M to B (site 0, seq 0): no acknowledgement after 3 retransmissions"
      ])
      expect(failures.find((f) => "role" in f && f.role === "B")).toMatchObject({ _tag: "TransportError", role: "B", peer: "A" })
      expect(failures.find((f) => "role" in f && f.role === "A")).toMatchObject({ _tag: "TransportError", role: "A", peer: "B" })
    }))

  it.effect("the same over the in-memory transport: the session fails within a TestClock bound, it does not hang", () =>
    Effect.gen(function*() {
      const network = Layer.provide(Reliable.layer({ retransmit: shortRetransmit }), Layer.provide(Chaos.layer({ seed: 1, drop: 1 }), Memory.layer))
      const fiber = yield* Effect.fork(Session.run(OneWay, oneWay).pipe(Effect.provide(network)))
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(fiber)
      const failures = Exit.isFailure(exit) ? Chunk.toArray(Cause.failures(exit.cause)) : []
      expect(failures.map((f) => f._tag)).toEqual(["TransportError", "TransportError"])
    }))

  it.effect("forgets a role some time after it has ended: its intake stops and the transport below closes it", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      let waiting = 0
      const closed: Array<string> = []
      const counted: TransportService = {
        ...memory,
        receive: (session, role, mailbox) =>
          Effect.suspend(() => {
            waiting++
            return Effect.ensuring(memory.receive(session, role, mailbox), Effect.sync(() => waiting--))
          }),
        close: (session, role) => Effect.sync(() => void closed.push(`${session}/${role}`))
      }
      const roles = { Coordinator: TwoPhaseCommit.coordinator(1), Participant: TwoPhaseCommit.participant("commit") }
      yield* Effect.gen(function*() {
        const reliable = yield* Reliable.wrap(counted, { linger: "5 seconds" })
        for (let i = 0; i < 20; i++) {
          yield* Session.run(TwoPhaseCommit.TwoPhaseCommit, roles, { sessionId: `s${i}` }).pipe(
            Effect.provideService(Transport, reliable)
          )
        }
        // Every role's intake still runs (and acknowledges copies) while it lingers...
        expect(waiting).toBe(40)
        expect(closed).toEqual([])
        yield* TestClock.adjust("5 seconds")
        // ... and then stops, and the transport below is told the role has ended.
        expect(waiting).toBe(0)
        expect(closed).toHaveLength(40)
      }).pipe(Effect.scoped)
    }))
})

describe("The simulator never hangs", () => {
  it.effect("an effect that waits on something the simulation cannot see fails with SimulationStalled", () =>
    Effect.gen(function*() {
      const sim = yield* simulateEffect(
        Effect.flatMap(Deferred.make<void>(), (d) => Deferred.await(d)),
        { seed: 3 }
      )
      const error = Exit.isFailure(sim.exit) ? Option.getOrUndefined(Cause.failureOption(sim.exit.cause)) : undefined
      expect(error?._tag).toBe("SimulationStalled")
      expect(error?.message).toContain("stalled at 0 ms")
    }))

  it.effect("a deadlock names only the roles that wait, not one whose receive timed out before", () =>
    Effect.gen(function*() {
      const sim = yield* simulateEffect(
        Effect.gen(function*() {
          const transport = yield* Transport
          // X gives up waiting after 10 ms; Y waits for ever.
          yield* Effect.ignore(Effect.timeout(transport.receive("s", "X"), "10 millis"))
          return yield* transport.receive("s", "Y")
        }),
        { seed: 1 }
      )
      const error = Exit.isFailure(sim.exit) ? Option.getOrUndefined(Cause.failureOption(sim.exit.cause)) : undefined
      expect(error?.message).toBe(
        "simulated network (seed 1): deadlock at 10 ms — no frame is in flight, no timer is set, and Y waits for a frame that can never come"
      )
    }))
})

describe("Reliable: schedules and session ids", () => {
  const exchangeB = Role.implement(Exchange, "B", { recv: { M: (_, m) => m }, send: { R: (m) => m + 1 } }, 0)

  it.effect("a schedule that allows no retransmission still gives a frame time to be acknowledged", () =>
    Effect.gen(function*() {
      const sim = yield* simulate(Exchange, { A: exchangeA, B: exchangeB }, {
        seed: 1,
        reliable: { retransmit: Schedule.recurs(0) }
      })
      expect(Exit.isSuccess(sim.exit) && sim.exit.value).toEqual({ A: 2, B: 1 })
    }))

  it.effect("a schedule without delays does not spin the simulator: the session completes", () =>
    Effect.gen(function*() {
      const sim = yield* simulate(Exchange, { A: exchangeA, B: exchangeB }, {
        seed: 1,
        chaos: { drop: 0.5 },
        reliable: { retransmit: Schedule.forever }
      })
      expect(Exit.isSuccess(sim.exit) && sim.exit.value).toEqual({ A: 2, B: 1 })
    }))

  it.effect("a give-up reaches a receiver that has not yet waited on that lane", () =>
    Effect.gen(function*() {
      // B first sends to C, slowly; meanwhile A's M to B is cut off for good.
      const Late = Protocol.make("Late", { roles: ["A", "B", "C"], messages: { Y: N, M: N } }, (g) =>
        g.msg("B", "C", "Y").msg("A", "B", "M"))
      // The roles run apart (A's own failure does not interrupt B), each to its own outcome.
      const options = { sessionId: "late" }
      const sim = yield* simulateEffect(
        Effect.all([
          Effect.flip(Role.run(Late, "A", Role.implement(Late, "A", { send: { M: () => 1 } }, 0), options)),
          Effect.flip(Role.run(Late, "B", Role.implement(Late, "B", { send: { Y: () => Effect.as(Effect.sleep("1 hour"), 1) }, recv: { M: (_, m) => m } }, 0), options)),
          Role.run(Late, "C", Role.implement(Late, "C", { recv: { Y: (_, y) => y } }, 0), options)
        ], { concurrency: "unbounded" }),
        {
          seed: 1,
          chaos: { partitions: [{ between: [["A"], ["B"]], until: "10 hours" }] },
          reliable: { retransmit: shortRetransmit }
        }
      )
      expect(Exit.isSuccess(sim.exit)).toBe(true)
      const [a, b, c] = Exit.isSuccess(sim.exit) ? sim.exit.value : [undefined, undefined, undefined]
      expect(a?.message).toBe("A gave up on M to B (site 1, seq 0): no acknowledgement after 3 retransmissions")
      expect(b?.message).toBe("B was waiting for M from A (site 1): A gave up on M to B (site 1, seq 0): no acknowledgement after 3 retransmissions")
      expect(c).toBe(1)
    }))

  it.effect("a session id used again while the last run lingers is refused at once, not hung", () =>
    Effect.gen(function*() {
      const network = Layer.provide(Reliable.layer(), Memory.layer)
      const roles = { A: exchangeA, B: exchangeB }
      const twice = Effect.gen(function*() {
        const first = yield* Session.run(Exchange, roles, { sessionId: "fixed" })
        const second = yield* Effect.either(Session.run(Exchange, roles, { sessionId: "fixed" }))
        return { first, second }
      }).pipe(Effect.provide(network))
      const fiber = yield* Effect.fork(twice)
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isSuccess(exit)).toBe(true)
      if (Exit.isSuccess(exit)) {
        expect(exit.value.first).toEqual({ A: 2, B: 1 })
        const error = exit.value.second
        expect(error._tag === "Left" && error.left.message).toBe(
          "session id fixed is used again for A while its last run lingers (frames of the two runs would mix): give every run its own session id"
        )
      }
    }))

  it.effect("a stall inside an uninterruptible region is reported too", () =>
    Effect.gen(function*() {
      const sim = yield* simulateEffect(
        Effect.flatMap(Deferred.make<void>(), (d) => Effect.uninterruptible(Deferred.await(d))),
        { seed: 1 }
      )
      const error = Exit.isFailure(sim.exit) ? Option.getOrUndefined(Cause.failureOption(sim.exit.cause)) : undefined
      expect(error?._tag).toBe("SimulationStalled")
    }))
})
