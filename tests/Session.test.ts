import { it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { describe, expect } from "vitest"
import { type Envelope, Protocol, Role, Session, Transport } from "../src/index.js"
import * as HandWritten from "../examples/hand-written.js"
import * as Streaming from "../examples/streaming.js"
import * as ThreeParty from "../examples/three-party.js"
import * as TwoPhaseCommit from "../examples/two-phase-commit.js"

describe("Session.run on the in-memory transport", () => {
  it.effect("TwoPhaseCommit commits when the participant votes commit, aborts otherwise", () =>
    Effect.gen(function*() {
      const commit = yield* TwoPhaseCommit.main("commit")
      expect(commit.Coordinator.outcome).toBe("committed")
      expect(commit.Participant).toEqual({ transactionId: 12345, applied: "committed" })
      const abort = yield* TwoPhaseCommit.main("abort")
      expect(abort.Coordinator.outcome).toBe("aborted")
      expect(abort.Participant.applied).toBe("aborted")
    }))

  it.effect("DataStreaming delivers every chunk in order and both sides agree on the count", () =>
    Effect.gen(function*() {
      const chunks = Array.from({ length: 50 }, (_, i) => `chunk-${i};`)
      const r = yield* Streaming.main(chunks)
      expect(r.Consumer.received).toEqual(chunks)
      expect(r.Consumer.ended).toBe(true)
      expect(r.Producer.acked).toEqual(chunks.map((_, i) => i))
      expect(r.Producer.confirmed).toBe(50)
    }))

  it.effect("the Shipper learns the deal from the Seller's message", () =>
    Effect.gen(function*() {
      const book = yield* ThreeParty.main("book", 50)
      expect(book.Shipper.shipped).toEqual(["book to 1 Quadrille Lane"])
      expect(book.Buyer).toEqual({ price: 12, delivery: "2026-12-01", receipt: "sold book" })
      const piano = yield* ThreeParty.main("piano", 50)
      expect(piano.Shipper).toEqual({ shipped: [], cancelled: 1 })
      expect(piano.Buyer.receipt).toBe("no sale of piano")
    }))

  it.effect("the hand-written roles of examples/hand-written.ts agree with the generated ones", () =>
    Effect.gen(function*() {
      const r = yield* HandWritten.main
      expect(r.even.Participant).toBe("committed 42")
      expect(r.even.Coordinator.outcome).toBe("committed")
      expect(r.odd.Participant).toBe("aborted 7")
      expect(r.odd.Coordinator.outcome).toBe("aborted")
      expect(r.stream.Consumer).toEqual({ streamId: "by-hand", text: "typed linear endpoints" })
      expect(r.stream.Producer.confirmed).toBe(3)
    }))

  it.effect("validates payloads with their Schemas when asked to", () =>
    Effect.gen(function*() {
      const r = yield* Session.run(
        TwoPhaseCommit.TwoPhaseCommit,
        { Coordinator: TwoPhaseCommit.coordinator(7), Participant: TwoPhaseCommit.participant("commit") },
        { validate: true }
      )
      expect(r.Participant.transactionId).toBe(7)
    }))

  it.effect("handlers may answer with Effects, and their failures fail the session", () =>
    Effect.gen(function*() {
      const P = Protocol.make("Ask", { roles: ["A", "B"], messages: { Q: Schema.Number, R: Schema.Number } }, (g) =>
        g.msg("A", "B", "Q").msg("B", "A", "R"))
      const a = Role.implement(P, "A", { send: { Q: () => Effect.succeed(20) }, recv: { R: (_, r) => Effect.succeed(r) } }, 0)
      const b = Role.implement(P, "B", { send: { R: (s) => s * 2 + 2 }, recv: { Q: (_, q) => q } }, 0)
      expect(yield* Session.run(P, { A: a, B: b })).toEqual({ A: 42, B: 20 })
      const failing = Role.implement(P, "B", { send: { R: () => Effect.fail("no answer" as const) } }, 0)
      expect(yield* Effect.flip(Session.run(P, { A: a, B: failing }))).toBe("no answer")
    }))

  it.effect("a missing handler or a branch that does not exist is an ImplementationError", () =>
    Effect.gen(function*() {
      // Typed against the protocol these would not compile; through Protocol.Any they reach the run-time checks.
      const P: Protocol.Any = TwoPhaseCommit.TwoPhaseCommit
      const incomplete = Role.implement(P, "Coordinator", { send: {}, choose: {} }, 0)
      const participant = TwoPhaseCommit.participant("commit") as unknown as Role.Implementation<Protocol.Any, string, unknown>
      const e1 = yield* Effect.flip(Session.run(P, { Coordinator: incomplete, Participant: participant }))
      expect(e1._tag).toBe("ImplementationError")
      expect(e1.message).toContain("missing handlers send.PrepareRequest")
      expect(e1.message).toContain("choose.outcome")
      const wrongBranch = Role.implement(P, "Coordinator", {
        send: { PrepareRequest: () => ({ transactionId: 1 }), CommitRequest: () => ({ transactionId: 1 }), AbortRequest: () => ({ transactionId: 1 }) },
        choose: { outcome: () => "maybe" }
      }, 0)
      const e2 = yield* Effect.flip(Session.run(P, { Coordinator: wrongBranch, Participant: participant }))
      expect(e2._tag).toBe("ImplementationError")
      expect(e2.message).toBe("Coordinator chose branch 'maybe' of choice 'outcome' at site 2, which has only 'commit', 'abort'")
    }))
})

describe("bad input: a forged envelope fails the receiving role with a named error, never a hang", () => {
  const P = TwoPhaseCommit.TwoPhaseCommit
  const good = {
    session: "s1",
    from: "Coordinator",
    to: "Participant",
    label: "PrepareRequest",
    site: "0",
    loops: {},
    seq: 0,
    payload: { transactionId: 1 }
  }
  /**
   * Runs the Participant alone on a transport that delivers exactly `frames` to it, then
   * nothing more (a receive after the last frame never returns).
   */
  const receiving = (frames: Envelope | ReadonlyArray<Envelope>) => {
    const queue = [frames].flat()
    const sent: Array<Envelope> = []
    const transport = {
      serialises: false,
      send: (e: Envelope) => Effect.sync(() => void sent.push(e)),
      receive: () => Effect.suspend(() => (queue.length > 0 ? Effect.succeed(queue.shift()!) : Effect.never))
    }
    return Role.run(P, "Participant", TwoPhaseCommit.participant("commit"), { sessionId: "s1", validate: true }).pipe(
      Effect.provideService(Transport, transport),
      Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "hung" as const }),
      Effect.flip
    )
  }

  it.live("wrong label", () =>
    Effect.gen(function*() {
      const e = yield* receiving({ ...good, label: "CommitRequest", site: "2.commit.0" })
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "Participant", peer: "Coordinator", label: "CommitRequest", site: "2.commit.0", expected: "PrepareRequest from Coordinator" })
      expect(e).toHaveProperty("message", expect.stringContaining("unexpected label CommitRequest"))
    }))

  it.live("wrong site", () =>
    Effect.gen(function*() {
      const e = yield* receiving({ ...good, site: "4" })
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "Participant", peer: "Coordinator", label: "PrepareRequest", site: "4", expected: "PrepareRequest at site 0" })
    }))

  it.live("undecodable payload", () =>
    Effect.gen(function*() {
      const e = yield* receiving({ ...good, payload: { transactionId: "twelve" } })
      expect(e).toMatchObject({ _tag: "DecodeError", role: "Participant", peer: "Coordinator", label: "PrepareRequest", site: "0" })
      expect(e).toHaveProperty("issue", "at [\"transactionId\"]: expected number, got \"twelve\"")
    }))

  it.live("unknown sender", () =>
    Effect.gen(function*() {
      const e = yield* receiving({ ...good, from: "Mallory" })
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "Participant", peer: "Mallory", label: "PrepareRequest" })
      expect(e).toHaveProperty("message", expect.stringContaining("unknown sender Mallory"))
    }))

  it.live("wrong sequence number, wrong session, wrong receiver", () =>
    Effect.gen(function*() {
      expect(yield* receiving({ ...good, seq: 3 })).toMatchObject({
        _tag: "ProtocolViolation",
        expected: "message number 0 from Coordinator"
      })
      expect(yield* receiving({ ...good, session: "s2" })).toMatchObject({
        _tag: "ProtocolViolation",
        expected: "a message of session s1"
      })
      expect(yield* receiving({ ...good, to: "Coordinator" })).toMatchObject({
        _tag: "ProtocolViolation",
        expected: "a message addressed to Participant"
      })
    }))

  it.live("the stub transport itself is sound: a good frame is accepted and the role waits for the next one", () =>
    Effect.gen(function*() {
      expect(yield* receiving(good)).toBe("hung")
    }))

  it.live("a message replayed after it was accepted (a duplicate) is caught by its sequence number", () =>
    Effect.gen(function*() {
      const e = yield* receiving([good, good])
      // The duplicate arrives where the Participant waits for CommitRequest or AbortRequest.
      expect(e).toMatchObject({ _tag: "ProtocolViolation", peer: "Coordinator", label: "PrepareRequest", expected: "message number 1 from Coordinator" })
    }))

  it.live("a frame of the wrong round of a loop is caught by its loop counter, in every round", () =>
    Effect.gen(function*() {
      const N = Schema.Number
      const PingPong = Protocol.make("PingPong", { roles: ["A", "B"], messages: { Ping: N, Pong: N, Stop: N } }, (g) =>
        g.loop("rounds", (b) =>
          b.msg("A", "B", "Ping").msg("B", "A", "Pong").choice("A", "again", {
            more: (c) => c.recur("rounds"),
            stop: (c) => c.msg("A", "B", "Stop")
          })))
      const frame = (seq: number, round: number): Envelope => ({
        session: "s1", from: "A", to: "B", label: "Ping", site: "0.0", loops: { rounds: round }, seq, payload: seq
      })
      const b = Role.implement(PingPong, "B", { send: { Pong: (n) => n } }, 0)
      const queue = [frame(0, 0), frame(1, 1), frame(2, 99)]
      const transport = {
        serialises: false,
        send: () => Effect.void,
        receive: () => Effect.suspend(() => (queue.length > 0 ? Effect.succeed(queue.shift()!) : Effect.never))
      }
      const e = yield* Role.run(PingPong, "B", b, { sessionId: "s1" }).pipe(
        Effect.provideService(Transport, transport),
        Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "hung" as const }),
        Effect.flip
      )
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "B", peer: "A", label: "Ping", expected: "iteration 2 of loop 'rounds'" })
    }))
})
