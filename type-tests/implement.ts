/**
 * The handler record of `Role.implement` is typed from the protocol: a missing send or
 * choose handler, a wrong payload, a branch that does not exist, or a handler for a label
 * the role never uses are compile errors.
 */
import { Effect } from "effect"
import { expectTypeOf } from "vitest"
import { Role } from "../src/index.js"
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
