import { it } from "@effect/vitest"
import { Cause, Effect, Either, Exit } from "effect"
import fc from "fast-check"
import { describe, expect } from "vitest"
import * as TraceSink from "../src/effects/TraceSink.js"
import type { TraceEvent } from "../src/effects/TraceSink.js"
import * as Memory from "../src/handlers/memory.js"
import type { Any } from "../src/protocol/Protocol.js"
import { Role, Session } from "../src/index.js"
import { implementAll, mergeableProtocol, toCode, wellFormedProtocol } from "../src/testing/arbitrary/index.js"
import * as Trace from "../src/testing/Trace.js"
import { auction, runs } from "./fixtures/runs.js"
import * as Auction from "../examples/distributed-auction.js"
import * as Consensus from "../examples/distributed-consensus.js"
import * as TwoPhaseCommit from "../examples/two-phase-commit.js"

const record = (run: Effect.Effect<unknown, unknown>) => Effect.map(TraceSink.recording(run), ([, events]) => events)

const mismatchOf = (protocol: Any, events: ReadonlyArray<TraceEvent>, params?: Readonly<Record<string, number>>) => {
  const r = Trace.validate(protocol, events, { params })
  if (Either.isRight(r)) throw new Error("the tampered trace was accepted")
  return r.left
}

const swap = (events: ReadonlyArray<TraceEvent>, i: number, j: number) => {
  const out = [...events]
  ;[out[i], out[j]] = [out[j], out[i]]
  return out
}

describe("TraceSink", () => {
  it.effect("records nothing without a sink, and every step in order with one", () =>
    Effect.gen(function*() {
      const events = yield* record(TwoPhaseCommit.main("commit"))
      expect(events.map((e) => e.time)).toEqual(events.map((_, i) => i))
      const coordinator = events.filter((e) => e.role === "Coordinator").map((e) => `${e._tag} ${e.label}${e.branch ? `=${e.branch}` : ""}`)
      expect(coordinator).toEqual([
        "Send PrepareRequest",
        "Receive PrepareResponse",
        "Choice outcome=commit",
        "Send CommitRequest",
        "Receive CommitAck"
      ])
      const send = events.find((e) => e._tag === "Send")!
      expect(send).toMatchObject({ role: "Coordinator", peer: "Participant", label: "PrepareRequest", seq: 0, site: expect.any(String) })
      const sessions = new Set(events.map((e) => e.session))
      expect(sessions.size).toBe(1)
    }))

  it.effect("records repeat decisions and parallel lanes", () =>
    Effect.gen(function*() {
      const events = yield* record(Auction.main(auction, 2))
      const rounds = events.filter((e) => e._tag === "Round" && e.role === "Auctioneer").map((e) => e.branch)
      expect(rounds).toEqual(["again", "again", "done"])
      expect(events.some((e) => e.lane !== undefined)).toBe(true)
    }))

  it.effect("Role.run picks the sink up from its context", () =>
    Effect.gen(function*() {
      const recorder = yield* TraceSink.makeRecorder
      yield* Effect.all([
        Role.run(TwoPhaseCommit.TwoPhaseCommit, "Coordinator", TwoPhaseCommit.coordinator(1), { sessionId: "s" }),
        Role.run(TwoPhaseCommit.TwoPhaseCommit, "Participant", TwoPhaseCommit.participant("abort"), { sessionId: "s" })
      ], { concurrency: "unbounded" }).pipe(
        Effect.provide(Memory.layer),
        Effect.provide(TraceSink.layer(recorder))
      )
      const events = recorder.events()
      expect(events).toHaveLength(9)
      expect(Trace.validate(TwoPhaseCommit.TwoPhaseCommit, events)).toEqual(Either.void)
    }))
})

describe("Trace.validate", () => {
  for (const { name, params, protocol, run } of runs) {
    it.effect(`accepts the recorded trace of ${name}, and catches every tampering`, () =>
      Effect.gen(function*() {
        const events = yield* record(run)
        expect(events.length).toBeGreaterThan(2)
        const ok = Trace.validate(protocol, events, { params })
        if (Either.isLeft(ok)) throw new Error(ok.left.message)

        // Dropping any one event, or the last one, is caught.
        for (let i = 0; i < events.length; i++) {
          const m = mismatchOf(protocol, events.filter((_, j) => j !== i), params)
          expect(m.index).toBeGreaterThanOrEqual(i)
          expect(m.expected.length).toBeGreaterThan(0)
        }
        // A receive before its send.
        const firstSend = events.findIndex((e) => e._tag === "Send")
        const itsReceive = events.findIndex((e) =>
          e._tag === "Receive" && e.peer === events[firstSend].role && e.role === events[firstSend].peer
        )
        const swapped = mismatchOf(protocol, swap(events, firstSend, itsReceive), params)
        expect(swapped.index).toBe(firstSend)
        expect(swapped.event?._tag).toBe("Receive")
        // Duplicating an event anywhere.
        for (let i = 0; i < events.length; i++) {
          const m = mismatchOf(protocol, [...events.slice(0, i + 1), events[i], ...events.slice(i + 1)], params)
          expect(m.index).toBeGreaterThanOrEqual(i + 1)
        }
        // Changing the label of any message.
        for (let i = 0; i < events.length; i++) {
          if (events[i]._tag !== "Send" && events[i]._tag !== "Receive") continue
          const changed = [...events]
          changed[i] = { ...events[i], label: "Bogus" }
          const m = mismatchOf(protocol, changed, params)
          expect(m.index).toBe(i)
        }
      }))
  }

  it.effect("names the first event that does not fit and what was expected", () =>
    Effect.gen(function*() {
      const P = TwoPhaseCommit.TwoPhaseCommit
      const events = yield* record(TwoPhaseCommit.main("commit"))
      const response = events.findIndex((e) => e._tag === "Send" && e.label === "PrepareResponse")
      const changed = [...events]
      changed[response] = { ...events[response], label: "CommitAck" }
      const m = mismatchOf(P, changed)
      expect(m.index).toBe(response)
      expect(m.expected).toMatch(/^Participant -> Coordinator: PrepareResponse at site \S+$/)
      expect(m.message).toContain(`event ${response}`)

      // The chooser took 'commit' but the participant is told 'abort'.
      const choice = events.findIndex((e) => e._tag === "Choice")
      const lying = [...events]
      lying[choice] = { ...events[choice], branch: "abort" }
      const l = mismatchOf(P, lying)
      expect(l.index).toBe(choice + 1)
      expect(l.expected).toContain("AbortRequest")

      // An incomplete trace.
      const short = mismatchOf(P, events.slice(0, -1))
      expect(short.index).toBe(events.length - 1)
      expect(short.event).toBeUndefined()
      expect(short.message).toContain("incomplete trace")
      expect(short.expected).toContain("CommitAck")
    }))

  it.effect("checks the number of rounds of a repeat against the session parameters", () =>
    Effect.gen(function*() {
      const events = yield* record(Auction.main(auction, 2))
      expect(Trace.validate(Auction.DistributedAuction, events, { params: { maxRounds: 2 } })).toEqual(Either.void)
      const m = mismatchOf(Auction.DistributedAuction, events, { maxRounds: 3 })
      expect(m.event?._tag).toBe("Round")
      expect(m.expected).toContain("'again'")
    }))

  it.effect("interleaves the lanes of a parallel, each at its own position", () =>
    Effect.gen(function*() {
      const events = yield* record(Consensus.main({ Node1: 3, Node2: 9, Node3: 5 }))
      // Reorder the events of the lanes: all of one lane first, the order within each lane kept.
      const laned = events.filter((e) => e.lane !== undefined)
      const lanes = [...new Set(laned.map((e) => e.lane))]
      expect(lanes.length).toBeGreaterThan(1)
      const reordered = lanes.reverse().flatMap((l) => laned.filter((e) => e.lane === l))
      const first = events.findIndex((e) => e.lane !== undefined)
      const rest = events.slice(first).filter((e) => e.lane === undefined)
      const trace = [...events.slice(0, first), ...reordered, ...rest]
      expect(trace).toHaveLength(events.length)
      expect(Trace.validate(Consensus.DistributedConsensus, trace)).toEqual(Either.void)
    }))

  it.effect("accepts the traces of generated protocols (choices, loops, rounds, parallels, compositions)", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(wellFormedProtocol(), mergeableProtocol()),
          fc.array(fc.nat(5), { maxLength: 24 }),
          async (g, decisions) => {
            const { implementations } = implementAll(g, decisions)
            const exit = await Effect.runPromiseExit(
              TraceSink.recording(Session.run(g.protocol, implementations, { params: g.tree.params })).pipe(
                Effect.timeout("1 second")
              )
            )
            if (Exit.isFailure(exit)) throw new Error(`the session failed: ${Cause.pretty(exit.cause)}\n${toCode(g.tree)}`)
            const [, events] = exit.value
            const r = Trace.validate(g.protocol, events, { params: g.tree.params })
            if (Either.isLeft(r)) throw new Error(`${r.left.message}\n${toCode(g.tree)}`)
            if (events.length > 0) {
              const cut = Trace.validate(g.protocol, events.slice(0, -1), { params: g.tree.params })
              expect(Either.isLeft(cut)).toBe(true)
            }
          }
        ),
        { numRuns: 150 }
      )
    ), 60_000)
})
