/**
 * `forever`: a loop declared infinite (a server) needs no way out; its local types are `Rec`s
 * with no `End`; a step after one that no path leaves is unreachable, and an error.
 */
import { Effect, type Schedule, Schema } from "effect"
import { expectTypeOf } from "vitest"
import type { Branch, End, Local, Offer, Rec, Recv, Select, Send, Var } from "../src/index.js"
import {
  type CheckpointError,
  type MaxRetriesExceeded,
  Protocol,
  type ReplayDivergence,
  Role as RoleRun,
  type RoleError,
  Session,
  type Stopped
} from "../src/index.js"
import type { StorageError } from "../src/effects/Storage.js"
import type * as Role from "../src/runtime/Role.js"
import type { KeyValue, PingPongForever, RingChoice } from "../tests/fixtures/forever.js"

expectTypeOf<Local<typeof PingPongForever, "A">>().toEqualTypeOf<Rec<"X", Send<"B", "Ping", number, Recv<"B", "Pong", number, Var<"X">>>>>()
expectTypeOf<Local<typeof PingPongForever, "B">>().toEqualTypeOf<Rec<"X", Recv<"A", "Ping", number, Send<"A", "Pong", number, Var<"X">>>>>()

expectTypeOf<Local<typeof RingChoice, "A">>().toEqualTypeOf<
  Rec<"Ring", Select<{
    readonly add: Send<"B", "Add", number, Recv<"C", "Add", number, Var<"Ring">>>
    readonly sub: Send<"B", "Sub", number, Recv<"C", "Sub", number, Var<"Ring">>>
  }>>
>()
expectTypeOf<Local<typeof RingChoice, "B">>().toEqualTypeOf<
  Rec<"Ring", Offer<"A", {
    readonly Add: Branch<number, Send<"C", "Add", number, Var<"Ring">>>
    readonly Sub: Branch<number, Send<"C", "Sub", number, Var<"Ring">>>
  }>>
>()

type KV = { readonly key: string; readonly value: number }
expectTypeOf<Local<typeof KeyValue, "Backup">>().toEqualTypeOf<
  Rec<"Serve", Recv<"Primary", "Replicate", KV, Send<"Primary", "Ack", null, Var<"Serve">>>>
>()

const N = Schema.Number
const spec = { roles: ["A", "B", "C"], messages: { M: N, K: N } } as const

// A role that takes no part in a forever loop has nothing more to do once it is entered.
const Idle = Protocol.make("Idle", spec, (g) => g.msg("A", "C", "K").forever("L", (b) => b.msg("A", "B", "M").recur("L")))
expectTypeOf<Local<typeof Idle, "C">>().toEqualTypeOf<Recv<"A", "K", number, End>>()

// A forever loop may still have a way out; what follows it is then reachable.
const Leaves = Protocol.make("Leaves", spec, (g) =>
  g.forever("L", (b) => b.msg("A", "B", "M").choice("A", "c", { again: (c) => c.recur("L"), out: (c) => c.msg("A", "B", "K") }))
    .msg("B", "C", "K"))
expectTypeOf<Local<typeof Leaves, "C">>().toEqualTypeOf<Recv<"B", "K", number, End>>()

// An unmarked loop without a way out: the error names the marker.
// expect-error: IllFormedProtocol<"loop 'L' has no way out: every path recurs. Add a branch that does not recur('L'), or declare it with forever('L') if it never ends.">
Protocol.make("Unmarked", spec, (g) => g.loop("L", (b) => b.msg("A", "B", "M").recur("L")))

// A step after a forever loop that no path leaves is unreachable.
// expect-error: IllFormedProtocol<"a step follows forever('L'), which no path leaves: the step is unreachable. Remove it, or add a branch that leaves the loop.">
Protocol.make("AfterForever", spec, (g) => g.forever("L", (b) => b.msg("A", "B", "M").recur("L")).msg("A", "B", "K"))

// Nested: the inner forever loop recurs to the outer one on every path; the outer is marked too.
const Nested = Protocol.make("Nested", spec, (g) =>
  g.forever("O", (b) => b.msg("A", "B", "M").forever("I", (c) => c.msg("B", "A", "K").choice("A", "c", { i: (d) => d.msg("A", "B", "M").recur("I"), o: (d) => d.msg("A", "B", "K").recur("O") }))))
expectTypeOf<Local<typeof Nested, "C">>().toEqualTypeOf<End>()

// `Stopped` is in the error of a run given `stop`, and only then.
declare const ping: Role.Implementation<typeof PingPongForever, "A", number>
declare const pong: Role.Implementation<typeof PingPongForever, "B", number>
declare const PingPong: typeof PingPongForever
const stopped = Session.run(PingPong, { A: ping, B: pong }, { stop: Effect.never })
expectTypeOf<Effect.Effect.Error<typeof stopped>>().toEqualTypeOf<RoleError | Stopped>()
const unstopped = Session.run(PingPong, { A: ping, B: pong }, { sessionId: "s" })
expectTypeOf<Effect.Effect.Error<typeof unstopped>>().toEqualTypeOf<RoleError>()

// The same of a retried run, a role retried and a durable role.
declare const schedule: Schedule.Schedule<unknown, unknown>
const retriedStopped = Session.retry(PingPong, { A: ping, B: pong }, { schedule, stop: Effect.never })
expectTypeOf<Effect.Effect.Error<typeof retriedStopped>>().toEqualTypeOf<RoleError | MaxRetriesExceeded | Stopped>()
const retried = Session.retry(PingPong, { A: ping, B: pong }, { schedule })
expectTypeOf<Effect.Effect.Error<typeof retried>>().toEqualTypeOf<RoleError | MaxRetriesExceeded>()
const roleRetried = RoleRun.retry(PingPong, "A", ping, { schedule, sessionId: "s", stop: Effect.never })
expectTypeOf<Effect.Effect.Error<typeof roleRetried>>().toEqualTypeOf<RoleError | MaxRetriesExceeded | Stopped>()
declare const durable: Role.Resumable<typeof PingPongForever, "B", number>
const resumedStopped = RoleRun.resume(PingPong, "B", durable, { sessionId: "s", stop: Effect.never })
expectTypeOf<Effect.Effect.Error<typeof resumedStopped>>().toEqualTypeOf<RoleError | ReplayDivergence | CheckpointError | StorageError | Stopped>()
const resumed = RoleRun.resume(PingPong, "B", durable, { sessionId: "s" })
expectTypeOf<Effect.Effect.Error<typeof resumed>>().toEqualTypeOf<RoleError | ReplayDivergence | CheckpointError | StorageError>()

// A forever loop as the body of a repeat: the round's own recur is no step after it.
Protocol.make("InRepeat", spec, (g) => g.repeat("r", (b) => b.forever("L", (c) => c.msg("A", "B", "M").recur("L"))).msg("A", "B", "K"))
