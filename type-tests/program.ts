/**
 * Hand-written roles: typed, linear endpoints. What the protocol allows type-checks; every
 * misuse is a compile error that names what the protocol expects.
 */
import { Effect } from "effect"
import { expectTypeOf } from "vitest"
import { type Done, Role } from "../src/index.js"
import { DataStreaming } from "../examples/streaming.js"
import { Deal } from "../examples/three-party.js"
import { TwoPhaseCommit } from "../examples/two-phase-commit.js"

// The Participant of TwoPhaseCommit, by hand; its result is what it gives to close().
const participant = Role.program(TwoPhaseCommit, "Participant", (ch) =>
  Effect.gen(function*() {
    const [req, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    expectTypeOf(req).toEqualTypeOf<{ readonly transactionId: number }>()
    const c2 = yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })
    const branch = yield* c2.offer()
    switch (branch.label) {
      case "CommitRequest": {
        const end = yield* branch.next.send("Coordinator", "CommitAck", {})
        return yield* end.close({ committed: req.transactionId })
      }
      case "AbortRequest": {
        const end = yield* branch.next.send("Coordinator", "AbortAck", {})
        return yield* end.close({ committed: -1 })
      }
    }
  }))
expectTypeOf<Role.Success<typeof participant>>().toEqualTypeOf<{ readonly committed: number }>()

// The Coordinator selects a branch by name; the loop of a stream unfolds as it goes.
Role.program(TwoPhaseCommit, "Coordinator", (ch) =>
  Effect.gen(function*() {
    const c1 = yield* ch.send("Participant", "PrepareRequest", { transactionId: 1 })
    const [vote, c2] = yield* c1.recv("Participant", "PrepareResponse")
    if (vote.vote === "commit") {
      const c3 = yield* (yield* c2.select("commit")).send("Participant", "CommitRequest", { transactionId: 1 })
      const [, end] = yield* c3.recv("Participant", "CommitAck")
      return yield* end.close()
    }
    const c3 = yield* (yield* c2.select("abort")).send("Participant", "AbortRequest", { transactionId: 1 })
    const [, end] = yield* c3.recv("Participant", "AbortAck")
    return yield* end.close()
  }))

Role.program(DataStreaming, "Producer", (ch) =>
  Effect.gen(function*() {
    const c1 = yield* ch.send("Consumer", "StreamInit", { streamId: "s" })
    const [, c2] = yield* c1.recv("Consumer", "StreamAck")
    let loop = c2
    for (let i = 0;; i++) {
      const c3 = yield* loop.send("Consumer", "DataChunk", { index: i, data: "x" })
      const [, c4] = yield* c3.recv("Consumer", "ChunkAck")
      if (i < 3) {
        loop = yield* c4.select("next")
        continue
      }
      const c5 = yield* (yield* c4.select("last")).send("Consumer", "StreamEnd", {})
      const [done, end] = yield* c5.recv("Consumer", "StreamComplete")
      return yield* end.close(done.chunks)
    }
  }))

// ---------------------------------------------------------------------------------------------
// Misuse

Role.program(TwoPhaseCommit, "Participant", (ch) =>
  Effect.gen(function*() {
    // send before the expected recv
    // expect-error: the protocol expects recv PrepareRequest from Coordinator here
    yield* ch.send("Coordinator", "PrepareResponse", { vote: "commit" })
    // wrong peer
    // expect-error: Argument of type '"Participant"' is not assignable to parameter of type '"Coordinator"'
    yield* ch.recv("Participant", "PrepareRequest")
    // wrong label
    // expect-error: Argument of type '"CommitRequest"' is not assignable to parameter of type '"PrepareRequest"'
    yield* ch.recv("Coordinator", "CommitRequest")
    const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    // wrong payload
    // expect-error: Type '"maybe"' is not assignable to type
    yield* c1.send("Coordinator", "PrepareResponse", { vote: "maybe" })
    const c2 = yield* c1.send("Coordinator", "PrepareResponse", { vote: "abort" })
    // recv where the protocol offers a choice of labels
    // expect-error: the protocol expects offer() from Coordinator, one of
    yield* c2.recv("Coordinator", "CommitRequest")
    // closing before the end
    // expect-error: the protocol expects offer() from Coordinator
    yield* c2.close()
    return yield* Effect.die("unreachable")
  }))

Role.program(TwoPhaseCommit, "Coordinator", (ch) =>
  Effect.gen(function*() {
    const c1 = yield* ch.send("Participant", "PrepareRequest", { transactionId: 1 })
    const [, c2] = yield* c1.recv("Participant", "PrepareResponse")
    // select of an unknown branch
    // expect-error: Argument of type '"retry"' is not assignable to parameter of type
    yield* c2.select("retry")
    // offer where the role itself chooses
    // expect-error: the protocol expects select one of
    yield* c2.offer()
    return yield* Effect.die("unreachable")
  }))

// An offer not handled exhaustively: the AbortRequest path returns no Done (more in
// endpoint-errors.ts, with Offered.exhaustive and Offered.match, which name the label).
Role.program(TwoPhaseCommit, "Participant", (ch) =>
  // expect-error: Type 'undefined' is not assignable to type '"the program must end with close() on its last endpoint on every path, and one returns nothing: is a branch of offer() not handled?
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    const c2 = yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })
    const branch = yield* c2.offer()
    if (branch.label === "CommitRequest") {
      return yield* (yield* branch.next.send("Coordinator", "CommitAck", {})).close()
    }
  }))

// Stopping before End: the program cannot produce a Done without close().
Role.program(TwoPhaseCommit, "Participant", (ch) =>
  // expect-error: is not assignable to type '"the program must end with close() on its last endpoint: return yield* end.close(result), not the result itself"'
  Effect.gen(function*() {
    const [req] = yield* ch.recv("Coordinator", "PrepareRequest")
    return req
  }))

// A Done cannot be forged from another value either.
// expect-error: not assignable
Role.program(Deal, "Shipper", () => Effect.succeed({ done: true }))

// Using an endpoint of the wrong role's local type.
Role.program(Deal, "Shipper", (ch) =>
  Effect.gen(function*() {
    // expect-error: the protocol expects offer() from Seller, one of
    yield* ch.send("Buyer", "DeliveryDate", { date: "today" })
    const o = yield* ch.offer()
    if (o.label === "ShipOrder") {
      expectTypeOf(o.payload).toEqualTypeOf<{ readonly item: string; readonly address: string }>()
      return yield* (yield* o.next.send("Buyer", "DeliveryDate", { date: "today" })).close()
    }
    expectTypeOf(o.label).toEqualTypeOf<"CancelSlot">()
    return yield* o.next.close()
  }))

expectTypeOf<Done<number>>().not.toEqualTypeOf<Done<string>>()
