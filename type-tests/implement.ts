/**
 * The handler record of `Role.implement` is typed from the protocol: a missing send or
 * choose handler, a wrong payload, a branch that does not exist, or a handler for a label
 * the role never uses are compile errors.
 */
import { Effect, Schema } from "effect"
import { expectTypeOf } from "vitest"
import { Protocol, Role } from "../src/index.js"
import { DataStreaming } from "../examples/streaming.js"
import { TwoPhaseCommit } from "../examples/two-phase-commit.js"

const sends = {
  PrepareRequest: (s: number) => ({ transactionId: s }),
  CommitRequest: (s: number) => ({ transactionId: s }),
  AbortRequest: (s: number) => ({ transactionId: s })
}

// A complete record type-checks; the result type is the state.
const ok = Role.implement(TwoPhaseCommit, "Coordinator", {
  send: sends,
  recv: { PrepareResponse: (s, r) => (r.vote === "commit" ? s : -s) },
  choose: { outcome: (s) => (s > 0 ? "commit" : "abort") }
}, 1)
expectTypeOf<Role.Success<typeof ok>>().toEqualTypeOf<number>()

// Handlers may answer with Effects; their errors become the role's.
const effectful = Role.implement(TwoPhaseCommit, "Participant", {
  send: {
    PrepareResponse: () => Effect.succeed({ vote: "commit" as const }),
    CommitAck: () => ({}),
    AbortAck: () => Effect.fail("disk full" as const)
  }
}, null)
expectTypeOf<Role.Failure<typeof effectful>>().toEqualTypeOf<"disk full">()

// missing send handler
Role.implement(TwoPhaseCommit, "Coordinator", {
  // expect-error: Property 'AbortRequest' is missing
  send: { PrepareRequest: sends.PrepareRequest, CommitRequest: sends.CommitRequest },
  choose: { outcome: () => "commit" }
}, 1)

// missing choose handler
// expect-error: Property 'choose' is missing
Role.implement(TwoPhaseCommit, "Coordinator", { send: sends }, 1)

// a branch that does not exist
Role.implement(TwoPhaseCommit, "Coordinator", {
  send: sends,
  // expect-error: Type '"retry"' is not assignable to type
  choose: { outcome: () => "retry" }
}, 1)

// a wrong payload
Role.implement(TwoPhaseCommit, "Participant", {
  // expect-error: Type '"maybe"' is not assignable to type
  send: { PrepareResponse: () => ({ vote: "maybe" }), CommitAck: () => ({}), AbortAck: () => ({}) }
}, null)

// a handler for a label the role never sends
Role.implement(TwoPhaseCommit, "Participant", {
  send: {
    PrepareResponse: () => ({ vote: "commit" }),
    CommitAck: () => ({}),
    AbortAck: () => ({}),
    // expect-error: PrepareRequest is not a label Participant sends
    PrepareRequest: () => ({ transactionId: 1 })
  }
}, null)

// a receive handler for a label the role never receives
Role.implement(DataStreaming, "Consumer", {
  send: { StreamAck: () => ({}), ChunkAck: () => ({ index: 0 }), StreamComplete: () => ({ chunks: 0 }) },
  // expect-error: 'ChunkAck' does not exist
  recv: { ChunkAck: (s: number) => s }
}, 0)

// an unknown kind of handler
Role.implement(DataStreaming, "Consumer", {
  send: { StreamAck: () => ({}), ChunkAck: () => ({ index: 0 }), StreamComplete: () => ({ chunks: 0 }) },
  // expect-error: on is not a kind of handler: use send, recv or choose
  on: {}
}, 0)

// a choose handler for a choice the role does not make
Role.implement(DataStreaming, "Consumer", {
  send: { StreamAck: () => ({}), ChunkAck: () => ({ index: 0 }), StreamComplete: () => ({ chunks: 0 }) },
  // expect-error: more is not a choice Consumer makes
  choose: { more: () => "next" }
}, 0)

// a recv handler whose state does not match
Role.implement(DataStreaming, "Consumer", {
  send: { StreamAck: () => ({}), ChunkAck: () => ({ index: 0 }), StreamComplete: () => ({ chunks: 0 }) },
  // expect-error: Type 'string' is not assignable to type 'Answer<number>'
  recv: { DataChunk: (_, chunk) => chunk.data }
}, 0)

// ---------------------------------------------------------------------------------------------
// Handlers with context: the last argument names the peer and the label, typed from the protocol;
// Role.withState(value, state) is checked against the payload and the state.
{
  const Ctx = Protocol.make("Ctx", {
    roles: ["A", "B"],
    messages: { Q: Schema.Number, R: Schema.String, Stop: Schema.Number }
  }, (g) => g.msg("A", "B", "Q").msg("B", "A", "R").choice("A", "again", { yes: (b) => b.msg("A", "B", "Q"), no: (b) => b.msg("A", "B", "Stop") }))
  Role.implement(Ctx, "A", {
    send: {
      Q: (n, ctx) => {
        expectTypeOf(ctx.peer).toEqualTypeOf<"B">()
        expectTypeOf(ctx.label).toEqualTypeOf<"Q">()
        expectTypeOf(ctx.rounds).toEqualTypeOf<Readonly<Record<string, number>>>()
        return Role.withState(n, n + 1)
      },
      Stop: (n) => n
    },
    recv: {
      R: (n, r, ctx) => {
        expectTypeOf(r).toEqualTypeOf<string>()
        expectTypeOf(ctx.peer).toEqualTypeOf<"B">()
        return n
      }
    },
    choose: {
      again: (n, ctx) => {
        expectTypeOf(ctx.peer).toEqualTypeOf<undefined>()
        expectTypeOf(ctx.label).toEqualTypeOf<"again">()
        return Role.withState(n > 1 ? "no" as const : "yes" as const, n)
      }
    }
  }, 0)
  Role.implement(Ctx, "A", {
    // expect-error: Type 'string' is not assignable to type 'number'
    send: { Q: (n) => Role.withState("one", n), Stop: (n) => n },
    choose: { again: () => "no" as const }
  }, 0)
  Role.implement(Ctx, "A", {
    send: { Q: (n) => n, Stop: (n) => n },
    // expect-error: is not assignable to type
    choose: { again: (n) => Role.withState("maybe" as const, n) }
  }, 0)
}
