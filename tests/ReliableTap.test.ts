/**
 * The reliable layer straight over the in-memory transport, which it taps: frames and acks
 * are taken in as they are delivered, in the sender's call, with no intake fiber. The same
 * guarantees as over any other transport: every frame once, in order, copies acknowledged
 * again; a frame that is lost is sent again on its schedule, then given up.
 */
import { it } from "@effect/vitest"
import { Cause, Chunk, Effect, Exit, Fiber, Layer, Option, Schedule, TestClock } from "effect"
import { describe, expect } from "vitest"
import * as TraceSink from "../src/effects/TraceSink.js"
import { type Envelope, inboxOf, synchronousSendOf } from "../src/effects/Transport.js"
import * as Memory from "../src/handlers/memory.js"
import * as Reliable from "../src/handlers/reliable.js"
import { Session } from "../src/index.js"
import * as Auction from "../examples/distributed-auction.js"

const frame = (seq: number, lane?: string): Envelope => ({
  session: "s",
  from: "A",
  to: "B",
  label: "Data",
  site: "0",
  loops: {},
  seq,
  payload: seq,
  lane
})

/** What the layer puts on the wire for `frame(seq)`: the same, to the receiver's intake mailbox. */
const wire = (seq: number) => ({ ...frame(seq), mailbox: "~reliable" })

const shortRetransmit = Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3)))

/** The reliable layer over a fresh in-memory transport, recording into a fresh trace. */
const setup = (options: Reliable.ReliableOptions = {}) =>
  Effect.gen(function*() {
    const recorder = TraceSink.unsafeMakeRecorder()
    const memory = Memory.unsafeMake(recorder)
    const reliable = yield* Effect.provideService(Reliable.wrap(memory, options), TraceSink.TraceSink, recorder)
    return { memory, reliable, recorder }
  })

describe("Reliable over the in-memory transport (tapped)", () => {
  it.scoped("a frame to a role that runs is taken in and acknowledged during its send: nothing is left to do, nor to flush", () =>
    Effect.gen(function*() {
      const { memory, reliable, recorder } = yield* setup()
      yield* reliable.open!("s", "A")
      yield* reliable.open!("s", "B")
      const send = synchronousSendOf(reliable)!
      const inbox = inboxOf(reliable)!("s", "B")
      // In one synchronous call: each send leaves no Effect, and B's frame is there at once.
      const got = yield* Effect.sync(() =>
        [0, 1, 2].map((i) => {
          expect(send(frame(i))).toBeUndefined()
          return inbox.poll()?.seq
        })
      )
      expect(got).toEqual([0, 1, 2])
      yield* reliable.flush!("s", "A")
      expect(recorder.events().filter((e) => e._tag === "Retransmit")).toEqual([])
      // Nothing waits below: the frames and their acks were all taken in.
      expect(memory.stats().frames).toBe(0)
    }))

  it.scoped("copies and frames out of order (forged below the layer) reach the role once each, in order; every copy is acknowledged", () =>
    Effect.gen(function*() {
      const { memory, reliable } = yield* setup()
      yield* reliable.open!("s", "B")
      // A does not run here: its acks wait below, in its intake mailbox.
      yield* memory.open!("s", "A")
      for (const seq of [3, 1, 0, 2, 1, 3, 0]) expect(memory.inject(wire(seq))).toBe(true)
      const got = yield* Effect.forEach([0, 1, 2, 3], () => reliable.receive("s", "B"))
      expect(got.map((e) => e.seq)).toEqual([0, 1, 2, 3])
      // Nothing more for B: the copies were dropped.
      const more = yield* reliable.receive("s", "B").pipe(Effect.timeout("1 millis"), Effect.option, Effect.fork)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(more)).toEqual(Option.none())
      const acks = yield* Effect.forEach([0, 1, 2, 3, 4, 5, 6], () => memory.receive("s", "A", "~reliable"))
      expect(acks.map((e) => `${e.label}#${e.seq}`)).toEqual(["~ack Data#3", "~ack Data#1", "~ack Data#0", "~ack Data#2", "~ack Data#1", "~ack Data#3", "~ack Data#0"])
    }))

  it.scoped("a frame sent before its receiver runs waits below; it is acknowledged once the receiver opens, and not sent again", () =>
    Effect.gen(function*() {
      const { reliable, recorder } = yield* setup()
      yield* reliable.open!("s", "A")
      yield* reliable.send(frame(0))
      const flushed = yield* Effect.fork(reliable.flush!("s", "A"))
      yield* Effect.yieldNow()
      expect(flushed.unsafePoll()).toBe(null)
      yield* reliable.open!("s", "B")
      yield* Fiber.join(flushed)
      expect((yield* reliable.receive("s", "B")).seq).toBe(0)
      expect(recorder.events().filter((e) => e._tag === "Retransmit")).toEqual([])
    }))

  it.scoped("a frame lost below (its receiver has ended there) is sent again on its schedule, then given up: the sender's flush fails naming it", () =>
    Effect.gen(function*() {
      const { memory, reliable, recorder } = yield* setup({ retransmit: shortRetransmit })
      yield* reliable.open!("s", "A")
      yield* reliable.open!("s", "B")
      // B ends below the layer: what is sent to it from now on is dropped.
      yield* memory.close!("s", "B")
      yield* reliable.send(frame(0))
      const flushed = yield* Effect.fork(Effect.exit(reliable.flush!("s", "A")))
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.join(flushed)
      const failures = Exit.isFailure(exit) ? Chunk.toArray(Cause.failures(exit.cause)) : []
      expect(failures.map((f) => f.message)).toEqual(["A gave up on Data to B (site 0, seq 0): no acknowledgement after 3 retransmissions"])
      expect(recorder.events().filter((e) => e._tag === "Retransmit")).toHaveLength(3)
    }))

  it.effect("sessions with parallel lanes run over it (each lane's mailbox taken from directly)", () =>
    Effect.gen(function*() {
      const auction: Auction.Auction = {
        announcement: { item: "a harpsichord", reserve: 100, increment: 10 },
        strategies: { Bidder1: { budget: 180, step: 10 }, Bidder2: { budget: 250, step: 25 }, Bidder3: { budget: 90, step: 50 } }
      }
      const network = Layer.provide(Reliable.layer(), Memory.layer)
      const over = yield* Auction.main(auction, 6).pipe(Effect.provide(network))
      const plain = yield* Auction.main(auction, 6).pipe(Effect.provide(Memory.layer))
      expect(over).toEqual(plain)
      expect(over.Auctioneer.rounds.length).toBeGreaterThan(1)
    }))

  it.effect("many round trips: the same results as without the layer", () =>
    Effect.gen(function*() {
      const { PingPong, playerA, playerB } = yield* Effect.promise(() => import("../bench/ping-pong-protocol.js"))
      const network = Layer.provide(Reliable.layer(), Memory.layer)
      const r = yield* Session.run(PingPong, { A: playerA(2000), B: playerB }).pipe(Effect.provide(network))
      expect(r).toEqual({ A: 2000, B: 2000 })
    }))
})
