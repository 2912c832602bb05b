import { it } from "@effect/vitest"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { Memory, Role, Session } from "../src/index.js"
import * as HandWritten from "../examples/hand-written.js"
import * as Streaming from "../examples/streaming.js"
import * as ThreeParty from "../examples/three-party.js"
import * as TwoPhaseCommit from "../examples/two-phase-commit.js"

const P = TwoPhaseCommit.TwoPhaseCommit

/** The Participant by hand; votes `vote` and returns what it applied. */
const participant = (vote: "commit" | "abort") =>
  Role.program(P, "Participant", (ch) =>
    Effect.gen(function*() {
      const [req, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
      const c2 = yield* c1.send("Coordinator", "PrepareResponse", { vote })
      const branch = yield* c2.offer()
      switch (branch.label) {
        case "CommitRequest":
          return yield* (yield* branch.next.send("Coordinator", "CommitAck", {})).close(`committed ${req.transactionId}`)
        case "AbortRequest":
          return yield* (yield* branch.next.send("Coordinator", "AbortAck", {})).close(`aborted ${req.transactionId}`)
      }
    }))

describe("Role.program", () => {
  it.effect("hand-written and generated roles mix in one session", () =>
    Effect.gen(function*() {
      const commit = yield* Session.run(P, { Coordinator: TwoPhaseCommit.coordinator(9), Participant: participant("commit") })
      expect(commit).toEqual({
        Coordinator: { transactionId: 9, vote: "commit", outcome: "committed" },
        Participant: "committed 9"
      })
      const abort = yield* Session.run(P, { Coordinator: TwoPhaseCommit.coordinator(9), Participant: participant("abort") }, { validate: true })
      expect(abort.Participant).toBe("aborted 9")
    }))

  it.effect("the hand-written Consumer follows the unfolded loop of DataStreaming, for any number of chunks", () =>
    Effect.gen(function*() {
      for (const n of [1, 2, 7]) {
        const chunks = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i))
        const r = yield* Session.run(Streaming.DataStreaming, {
          Producer: Streaming.producer("s9", chunks),
          Consumer: HandWritten.consumer
        })
        expect(r.Consumer).toEqual({ streamId: "s9", text: chunks.join("") })
        expect(r.Producer.confirmed).toBe(n)
      }
    }))

  it.effect("an endpoint used twice fails with LinearityViolation", () =>
    Effect.gen(function*() {
      const reuse = Role.program(P, "Participant", (ch) =>
        Effect.gen(function*() {
          yield* ch.recv("Coordinator", "PrepareRequest")
          yield* ch.recv("Coordinator", "PrepareRequest")
          return yield* Effect.die("unreachable")
        }))
      const e = yield* Effect.flip(Session.run(P, { Coordinator: TwoPhaseCommit.coordinator(1), Participant: reuse }))
      expect(e).toMatchObject({ _tag: "LinearityViolation", role: "Participant", operation: "recv(Coordinator, PrepareRequest)" })
      expect(e.message).toBe(
        "Participant called recv(Coordinator, PrepareRequest) on an endpoint that was already used; use the endpoint each operation returns"
      )
    }))

  it.effect("the Effect of one operation run twice fails with LinearityViolation, and its step is taken once", () =>
    Effect.gen(function*() {
      // The Coordinator's request, taken by running the same recv Effect twice: the second
      // run must not take a second frame (nor, for a send, send a second one).
      const twice = Role.program(P, "Participant", (ch) =>
        Effect.gen(function*() {
          const recv = ch.recv("Coordinator", "PrepareRequest")
          yield* recv
          yield* recv
          return yield* Effect.die("unreachable")
        }))
      const e = yield* Effect.flip(Session.run(P, { Coordinator: TwoPhaseCommit.coordinator(1), Participant: twice }))
      expect(e).toMatchObject({ _tag: "LinearityViolation", role: "Participant", operation: "recv(Coordinator, PrepareRequest)" })
      expect(e.message).toBe(
        "Participant ran the Effect of recv(Coordinator, PrepareRequest) again; each operation's Effect runs once: use the endpoint it returned"
      )
      const sentTwice = Role.program(P, "Participant", (ch) =>
        Effect.gen(function*() {
          const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
          const send = c1.send("Coordinator", "PrepareResponse", { vote: "commit" })
          yield* send
          yield* send
          return yield* Effect.die("unreachable")
        }))
      const { frames, result } = yield* Memory.recorded(Effect.flip(Session.run(P, { Coordinator: TwoPhaseCommit.coordinator(2), Participant: sentTwice })))
      expect(result).toMatchObject({ _tag: "LinearityViolation", operation: "send(Coordinator, PrepareResponse)" })
      expect(frames.filter((f) => f.label === "PrepareResponse")).toHaveLength(1)
    }))

  it.effect("an operation the local type does not allow is refused at run time too (for untyped callers)", () =>
    Effect.gen(function*() {
      const untyped = Role.program(P, "Participant", (ch) =>
        Effect.gen(function*() {
          const loose = ch as unknown as { send: (to: string, label: string, payload: unknown) => Effect.Effect<never, never> }
          return yield* loose.send("Coordinator", "PrepareResponse", { vote: "commit" })
        }))
      const e = yield* Effect.flip(Session.run(P, { Coordinator: TwoPhaseCommit.coordinator(1), Participant: untyped }))
      expect(e).toMatchObject({ _tag: "ImplementationError", role: "Participant" })
      expect(e.message).toBe(
        "Participant called send(Coordinator, PrepareResponse) where the protocol expects recv PrepareRequest from Coordinator"
      )
    }))

  it.effect("a program that returns something other than the Done of close() fails", () =>
    Effect.gen(function*() {
      const early = Role.program(ThreeParty.Deal, "Shipper", () => Effect.succeed({}) as never)
      const e = yield* Effect.flip(
        Session.run(ThreeParty.Deal, { Buyer: ThreeParty.buyer("book", 50), Seller: ThreeParty.seller, Shipper: early })
      )
      expect(e).toMatchObject({ _tag: "ImplementationError", role: "Shipper" })
      expect(e.message).toBe("Role.program(Deal, Shipper) returned without the Done of close()")
    }))
})
