/**
 * What the compiler says about the usual mistakes in a hand-written role (`Role.program`):
 * a branch of an offer not handled (also inside a loop), a program that returns before
 * `close()`, and an operation out of order, whose first error is the only one.
 */
import { Effect, Schema } from "effect"
import { expectTypeOf } from "vitest"
import {
  type Branch,
  type Done,
  type End,
  type EndEndpoint,
  type Endpoint,
  type Local,
  type Offer,
  type OfferEndpoint,
  Offered,
  Protocol,
  type RecvEndpoint,
  Role,
  type RoleError,
  type Send,
  type SendEndpoint
} from "../src/index.js"
import { DataStreaming } from "../examples/streaming.js"
import { TwoPhaseCommit } from "../examples/two-phase-commit.js"

/** A server that answers one of three ways. */
const Ask = Protocol.make("Ask", {
  roles: ["Client", "Server"],
  messages: { Query: Schema.String, Answer: Schema.Number, Busy: Schema.Struct({}), Refused: Schema.String }
}, (g) =>
  g.msg("Client", "Server", "Query").choice("Server", "reply", {
    answer: (b) => b.msg("Server", "Client", "Answer"),
    busy: (b) => b.msg("Server", "Client", "Busy"),
    refuse: (b) => b.msg("Server", "Client", "Refused")
  }))

// ---------------------------------------------------------------------------------------------
// 1. A branch of an offer not handled

// A switch that misses a case: the program's result says that a path returns nothing, and
// points to Offered.exhaustive, which names the label (below).
Role.program(TwoPhaseCommit, "Participant", (ch) =>
  // expect-error: and one returns nothing: is a branch of offer() not handled?
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    const branch = yield* (yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })).offer()
    switch (branch.label) {
      case "CommitRequest":
        return yield* (yield* branch.next.send("Coordinator", "CommitAck", {})).close()
    }
  }))

// The same switch with `default: return Offered.exhaustive(branch)`: the error is there, and
// names the label left.
Role.program(TwoPhaseCommit, "Participant", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    const branch = yield* (yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })).offer()
    switch (branch.label) {
      case "CommitRequest":
        return yield* (yield* branch.next.send("Coordinator", "CommitAck", {})).close()
      default:
        // expect-only-error: is not assignable to parameter of type '"offer() branches not handled: AbortRequest"'
        return Offered.exhaustive(branch)
    }
  }))

// With every case, `branch` is `never` in the default case and `exhaustive` compiles.
const exhaustive = Role.program(TwoPhaseCommit, "Participant", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    const branch = yield* (yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })).offer()
    switch (branch.label) {
      case "CommitRequest":
        return yield* (yield* branch.next.send("Coordinator", "CommitAck", {})).close(true)
      case "AbortRequest":
        return yield* (yield* branch.next.send("Coordinator", "AbortAck", {})).close(false)
      default:
        return Offered.exhaustive(branch)
    }
  }))
expectTypeOf<Role.Success<typeof exhaustive>>().toEqualTypeOf<boolean>()

// Two labels left: both are named (in the order the compiler lists the union).
Role.program(Ask, "Client", (ch) =>
  Effect.gen(function*() {
    const o = yield* (yield* ch.send("Server", "Query", "q")).offer()
    if (o.label === "Answer") return yield* o.next.close(o.payload)
    // expect-only-error: offer() branches not handled: 
    return Offered.exhaustive(o)
  }))

// Offered.match takes one function per label; a label without one fails at the handlers,
// named, and the match gives `any` so that nothing after it fails too.
Role.program(TwoPhaseCommit, "Participant", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    const branch = yield* (yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })).offer()
    // expect-only-error: Property 'AbortRequest' is missing
    return yield* Offered.match(branch, {
      CommitRequest: (b) => Effect.flatMap(b.next.send("Coordinator", "CommitAck", {}), (end) => end.close())
    })
  }))

Role.program(Ask, "Client", (ch) =>
  Effect.gen(function*() {
    const o = yield* (yield* ch.send("Server", "Query", "q")).offer()
    // expect-only-error: "offer() branches not handled: Refused"
    return yield* Offered.match(o, {
      Answer: (b) => b.next.close(b.payload),
      Busy: (b) => b.next.close(0)
    })
  }))

// A complete match: one Effect of the union of the handlers' results, errors and requirements.
const matched = Role.program(Ask, "Client", (ch) =>
  Effect.gen(function*() {
    const o = yield* (yield* ch.send("Server", "Query", "q")).offer()
    const m = Offered.match(o, {
      Answer: (b) => b.next.close(b.payload),
      Busy: (b) => b.next.close("busy"),
      Refused: (b) => Effect.flatMap(Effect.fail(new Error(b.payload)), () => b.next.close(null))
    })
    expectTypeOf(m).toEqualTypeOf<Effect.Effect<Done<number> | Done<"busy"> | Done<null>, RoleError | Error>>()
    return yield* m
  }))
expectTypeOf<Role.Success<typeof matched>>().toEqualTypeOf<number | "busy" | null>()
expectTypeOf<Role.Failure<typeof matched>>().toEqualTypeOf<Error>()

// Handlers may return anything: the match returns the union.
Role.program(Ask, "Client", (ch) =>
  Effect.gen(function*() {
    const o = yield* (yield* ch.send("Server", "Query", "q")).offer()
    const end = Offered.match(o, { Answer: (b) => b.next, Busy: (b) => b.next, Refused: (b) => b.next })
    expectTypeOf(end).toEqualTypeOf<EndEndpoint>()
    return yield* end.close()
  }))

// Inside a loop a forgotten case does not reach the end of the program (it goes round again),
// so only exhaustive handling can catch it: the same two ways, the same messages.
Role.program(DataStreaming, "Consumer", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Producer", "StreamInit")
    const [, c2] = yield* (yield* c1.send("Producer", "StreamAck", {})).recv("Producer", "DataChunk")
    let next = yield* c2.send("Producer", "ChunkAck", { index: 0 })
    for (;;) {
      const offered = yield* next.offer()
      switch (offered.label) {
        case "StreamEnd":
          return yield* (yield* offered.next.send("Producer", "StreamComplete", { chunks: 1 })).close()
        default:
          // expect-only-error: "offer() branches not handled: DataChunk"
          return Offered.exhaustive(offered)
      }
    }
  }))

Role.program(DataStreaming, "Consumer", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Producer", "StreamInit")
    const [, c2] = yield* (yield* c1.send("Producer", "StreamAck", {})).recv("Producer", "DataChunk")
    let next = yield* c2.send("Producer", "ChunkAck", { index: 0 })
    for (;;) {
      const offered = yield* next.offer()
      // expect-only-error: "offer() branches not handled: DataChunk"
      const step = yield* Offered.match(offered, {
        StreamEnd: (b) => Effect.map(b.next.send("Producer", "StreamComplete", { chunks: 1 }), (end) => ({ end }))
      })
      if ("end" in step) return yield* step.end.close()
      next = step.next
    }
  }))

// Both complete, in the loop.
const loop = Role.program(DataStreaming, "Consumer", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Producer", "StreamInit")
    const [first, c2] = yield* (yield* c1.send("Producer", "StreamAck", {})).recv("Producer", "DataChunk")
    const data = [first.data]
    let next = yield* c2.send("Producer", "ChunkAck", { index: 0 })
    for (;;) {
      const offered = yield* next.offer()
      switch (offered.label) {
        case "StreamEnd":
          return yield* (yield* offered.next.send("Producer", "StreamComplete", { chunks: data.length })).close(data)
        case "DataChunk":
          data.push(offered.payload.data)
          next = yield* offered.next.send("Producer", "ChunkAck", { index: offered.payload.index })
          continue
        default:
          return Offered.exhaustive(offered)
      }
    }
  }))
expectTypeOf<Role.Success<typeof loop>>().toEqualTypeOf<Array<string>>()

Role.program(DataStreaming, "Consumer", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Producer", "StreamInit")
    const [, c2] = yield* (yield* c1.send("Producer", "StreamAck", {})).recv("Producer", "DataChunk")
    let next = yield* c2.send("Producer", "ChunkAck", { index: 0 })
    for (;;) {
      const step = yield* Offered.match(yield* next.offer(), {
        StreamEnd: (b) => Effect.map(b.next.send("Producer", "StreamComplete", { chunks: 1 }), (end) => ({ end })),
        DataChunk: (b) => Effect.map(b.next.send("Producer", "ChunkAck", { index: b.payload.index }), (next) => ({ next }))
      })
      if ("end" in step) return yield* step.end.close()
      next = step.next
    }
  }))

// ---------------------------------------------------------------------------------------------
// 2. Returning before the end

// A value instead of close(value).
Role.program(TwoPhaseCommit, "Participant", (ch) =>
  // expect-error: the program must end with close() on its last endpoint: return yield* end.close(result), not the result itself
  Effect.gen(function*() {
    const [req] = yield* ch.recv("Coordinator", "PrepareRequest")
    return req.transactionId
  }))

// On one path only.
Role.program(TwoPhaseCommit, "Participant", (ch) =>
  // expect-error: Type '42' is not assignable to type '"the program must end with close() on its last endpoint: return yield* end.close(result)
  Effect.gen(function*() {
    const [req, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    if (req.transactionId < 0) return 42
    const branch = yield* (yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })).offer()
    const end = yield* (branch.label === "CommitRequest"
      ? branch.next.send("Coordinator", "CommitAck", {})
      : branch.next.send("Coordinator", "AbortAck", {}))
    return yield* end.close()
  }))

// An endpoint instead of going on: the message says what the protocol still expects.
Role.program(TwoPhaseCommit, "Participant", (ch) =>
  // expect-error: the program must end with close() on its last endpoint, and it returns an endpoint where the protocol still expects offer() from Coordinator, one of
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    return yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })
  }))

Role.program(TwoPhaseCommit, "Participant", (ch) =>
  // expect-error: the protocol still expects send PrepareResponse to Coordinator
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    return c1
  }))

// close() without yield*.
Role.program(TwoPhaseCommit, "Participant", (ch) =>
  // expect-error: the program returns the Effect of close() without running it: return yield* end.close(...)
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    const branch = yield* (yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })).offer()
    const end = yield* (branch.label === "CommitRequest"
      ? branch.next.send("Coordinator", "CommitAck", {})
      : branch.next.send("Coordinator", "AbortAck", {}))
    return end.close()
  }))

// ---------------------------------------------------------------------------------------------
// 3. An operation out of order: one error, at the call; what it gives can be destructured and
// used without further errors.

Role.program(TwoPhaseCommit, "Participant", (ch) =>
  Effect.gen(function*() {
    const [req, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    // expect-only-error: the protocol expects send PrepareResponse to Coordinator here
    const [again, c2] = yield* c1.recv("Coordinator", "PrepareRequest")
    const c3 = yield* c2.send("Coordinator", "PrepareResponse", { vote: "commit" })
    return yield* c3.close(again.transactionId + req.transactionId)
  }))

Role.program(TwoPhaseCommit, "Coordinator", (ch) =>
  Effect.gen(function*() {
    // expect-only-error: the protocol expects send PrepareRequest to Participant here
    const c1 = yield* ch.select("commit")
    const [vote, c2] = yield* c1.recv("Participant", "PrepareResponse")
    // expect-only-error: the protocol expects send PrepareRequest to Participant here
    const o = yield* ch.offer()
    if (o.label === vote.vote) return yield* c2.close()
    // expect-only-error: the protocol expects send PrepareRequest to Participant here
    return yield* ch.close()
  }))

// ---------------------------------------------------------------------------------------------
// 4. The endpoint types are exported, so a helper can name them (type-tests/decl/ checks that
// an exported helper's declaration needs no annotation).

type Participant = Endpoint<Local<typeof TwoPhaseCommit, "Participant">>
type Outcome = Offer<"Coordinator", {
  readonly CommitRequest: Branch<{ readonly transactionId: number }, Send<"Coordinator", "CommitAck", {}, End>>
  readonly AbortRequest: Branch<{ readonly transactionId: number }, Send<"Coordinator", "AbortAck", {}, End>>
}>
type Vote = Send<"Coordinator", "PrepareResponse", { readonly vote: "commit" | "abort" }, Outcome>
expectTypeOf<Participant>().toEqualTypeOf<RecvEndpoint<"Coordinator", "PrepareRequest", { readonly transactionId: number }, Vote, never>>()

const prepare = (ch: Participant) => ch.recv("Coordinator", "PrepareRequest")
const vote = (c: SendEndpoint<"Coordinator", "PrepareResponse", { readonly vote: "commit" | "abort" }, Outcome, never>) =>
  c.send("Coordinator", "PrepareResponse", { vote: "commit" })
const wait = (c: OfferEndpoint<"Coordinator", Outcome["branches"], never>) => c.offer()
const helped = Role.program(TwoPhaseCommit, "Participant", (ch) =>
  Effect.gen(function*() {
    const [req, c1] = yield* prepare(ch)
    const branch = yield* wait(yield* vote(c1))
    const end: EndEndpoint = yield* (branch.label === "CommitRequest"
      ? branch.next.send("Coordinator", "CommitAck", {})
      : branch.next.send("Coordinator", "AbortAck", {}))
    return yield* end.close(req.transactionId)
  }))
expectTypeOf<Role.Success<typeof helped>>().toEqualTypeOf<number>()

// ---------------------------------------------------------------------------------------------
// 5. A part of a timeout or a saga that does not end with close(): the same sentence

const Deadline = Protocol.make("Deadline", { roles: ["A", "B"], messages: { M: Schema.Number, K: Schema.Number } }, (g) =>
  g.timeout("A", "t", "1 second", (b) => b.msg("A", "B", "M").msg("B", "A", "K"), (f) => f.msg("A", "B", "K")))
Role.program(Deadline, "A", (c) =>
  Effect.gen(function*() {
    const r = yield* c.timeout(
      // expect-error: the program must end with close() on its last endpoint, and it returns an endpoint where the protocol still expects recv K from B
      (b) => Effect.gen(function*() { return yield* b.send("B", "M", 1) }),
      (f) => Effect.gen(function*() { return yield* (yield* f.send("B", "K", 2)).close("late") })
    )
    return yield* r.next.close(r.result)
  }))
