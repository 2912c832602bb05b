/**
 * Role families: a member's local type is the same for every member; a role that iterates
 * over a family has an `Each` (or a member of an `exchange`, an `Exchange`); a family where
 * one role belongs, or a plain role where a family belongs, is a compile error at the call, in
 * the run-time words (tests/Family.test.ts).
 */
import { Effect, Schedule, Schema } from "effect"
import { expectTypeOf } from "vitest"
import type { Each, End, Exchange, Local, MaxRetriesExceeded, Par, Rec, Recv, RoleError, Rounds, Send, Stopped, Var } from "../src/index.js"
import { Protocol, Role, Session } from "../src/index.js"
import type { StepContext } from "../src/session/Handlers.js"
import { DistributedAuctionFamily } from "../examples/distributed-auction-family.js"
import { DistributedConsensusFamily } from "../examples/distributed-consensus-family.js"

const N = Schema.Number
const spec = { roles: ["A", "C"], families: ["B"], messages: { X: N, Y: N } } as const

const P = Protocol.make("P", spec, (g) =>
  g.broadcast("A", "B", "X")
    .repeat("rounds", (r) => r.gather("B", "A", "Y").broadcast("A", "B", "X"))
    .forEach("B", (b, m) => b.msg("A", m, "X").msg(m, "C", "Y"))
    .exchange("B", "Y"))

// Every member has one local type: its own part of each step over the family.
expectTypeOf<Local<typeof P, "B">>().toEqualTypeOf<
  Recv<"A", "X", number, Rec<"rounds", Rounds<"rounds", Par<[Send<"A", "Y", number, End>], Recv<"A", "X", number, Var<"rounds">>>,
    Recv<"A", "X", number, Send<"C", "Y", number, Exchange<"B", "Y", number, End>>>>>>
>()
// A role that iterates over the members: an `Each`, whose body is its part for one member.
expectTypeOf<Local<typeof P, "A">>().toEqualTypeOf<
  Each<"B", false, Send<"B", "X", number, End>, Rec<"rounds", Rounds<"rounds", Each<"B", true, Recv<"B", "Y", number, End>, Each<"B", false, Send<"B", "X", number, End>, Var<"rounds">>>,
    Each<"B", false, Send<"B", "X", number, End>, End>>>>
>()
expectTypeOf<Local<typeof P, "C">>().toEqualTypeOf<Each<"B", false, Recv<"B", "Y", number, End>, End>>()

// The roles of the protocol are its roles and its families; Session.run takes one
// implementation per role, and for a family one for every member or a list, and gives a list.
expectTypeOf<Protocol.Roles<typeof P>>().toEqualTypeOf<"A" | "C" | "B">()
expectTypeOf<Protocol.Families<typeof P>>().toEqualTypeOf<"B">()
const b = Role.implement(P, "B", { send: { Y: (s: number) => s }, recv: { X: (_: number, x: number) => x } }, 0)
const a = Role.implement(P, "A", { send: { X: (s: number, c: StepContext<`B[${number}]`, "X">) => s + c.peer.length } }, 0)
const c = Role.implement(P, "C", {}, "c")
const run = Session.run(P, { A: a, B: b, C: c }, { params: { B: 3, rounds: 2 } })
expectTypeOf<Effect.Effect.Success<typeof run>>().toEqualTypeOf<{ readonly A: number; readonly B: ReadonlyArray<number>; readonly C: string }>()
Session.run(P, { A: a, B: [b, b], C: c }, { params: { B: 2, rounds: 2 } })
// Session.retry: the same results; `Stopped` in the error when given `stop`, and only then.
const retried = Session.retry(P, { A: a, B: [b, b], C: c }, { schedule: Schedule.recurs(1), params: { B: 2, rounds: 2 } })
expectTypeOf<Effect.Effect.Success<typeof retried>>().toEqualTypeOf<{ readonly A: number; readonly B: ReadonlyArray<number>; readonly C: string }>()
expectTypeOf<Effect.Effect.Error<typeof retried>>().toEqualTypeOf<RoleError | MaxRetriesExceeded>()
const retriedStopped = Session.retry(P, { A: a, B: b, C: c }, { schedule: Schedule.recurs(1), params: { B: 2, rounds: 2 }, stop: Effect.never })
expectTypeOf<Effect.Effect.Success<typeof retriedStopped>>().toEqualTypeOf<{ readonly A: number; readonly B: ReadonlyArray<number>; readonly C: string }>()
expectTypeOf<Effect.Effect.Error<typeof retriedStopped>>().toEqualTypeOf<RoleError | MaxRetriesExceeded | Stopped>()
// A list is for a family only.
// expect-error: is missing the following properties
Session.run(P, { A: [a], B: b, C: c }, { params: { B: 2, rounds: 2 } })

// A handler of a role that iterates over a family is told the member as its peer; a member's
// handlers, its index.
Role.implement(DistributedAuctionFamily, "Auctioneer", {
  send: { AuctionAnnouncement: () => ({ item: "x", reserve: 1, increment: 1 }), RoundResult: () => ({ round: 1, highest: 0, holder: null }), AuctionResult: () => ({ winner: null, price: 0 }) },
  recv: {
    Bid: (s: number, _bid, context) => {
      expectTypeOf(context.peer).toEqualTypeOf<`Bidder[${number}]`>()
      return s
    }
  }
}, 0)
Role.implement(DistributedConsensusFamily, "Node", {
  send: {
    Proposal: (s: number, context) => {
      expectTypeOf(context.member).toEqualTypeOf<number | undefined>()
      expectTypeOf(context.peer).toEqualTypeOf<`Node[${number}]`>()
      return { value: s }
    },
    Decision: (s: number) => ({ value: s })
  }
}, 0)
// A member's handlers are those of its own local type.
// expect-error: 'Decision' does not exist in type
Role.implement(DistributedConsensusFamily, "Node", { send: { Proposal: () => ({ value: 1 }), Decision: () => ({ value: 1 }) }, recv: { Decision: (s: number) => s } }, 0)

// A hand-written role whose next step is over every member is told to use Role.implement.
Role.program(P, "A", (ch) =>
  Effect.gen(function*() {
    // expect-error: the protocol expects a step with each member of B (Role.implement runs it: implement this role with Role.implement) here
    yield* ch.send("B", "X", 1)
    return yield* Effect.never
  }))

// A family where one role belongs.
// expect-only-error: B is a family of roles, not one role. Address its members with broadcast(from, 'B', label), gather('B', to, label), exchange('B', label) or forEach('B', (b, member) => ...).
Protocol.make("E1", spec, (g) => g.msg("A", "B", "X"))
// expect-only-error: B is a family of roles, not one role.
Protocol.make("E2", spec, (g) => g.msg("B", "A", "X"))
// expect-only-error: B is a family of roles, not one role.
Protocol.make("E3", spec, (g) => g.choice("B", "c", { x: (k) => k.msg("A", "C", "X") }))
// A plain role where a family belongs.
// expect-only-error: A is not a family of roles here. Name a family declared in families, outside any forEach over it (use a list, [A], for one role).
Protocol.make("E4", spec, (g) => g.forEach("A", (k, m) => k.msg(m, "C", "X")))
// expect-only-error: C is not a family of roles here.
Protocol.make("E5", spec, (g) => g.broadcast("A", "C", "X"))
// expect-only-error: C is not a family of roles here.
Protocol.make("E6", spec, (g) => g.gather("C", "A", "X"))
// expect-only-error: C is not a family of roles here.
Protocol.make("E7", spec, (g) => g.exchange("C", "X"))
// Inside a forEach over B, B is the member, not a family.
// expect-only-error: B is not a family of roles here.
Protocol.make("E8", spec, (g) => g.forEach("B", (k, m) => k.forEach("B", (k2) => k2.msg(m, "A", "X"))))
// A member sending to itself.
// expect-only-error: role B sends X to itself. A message needs two different roles.
Protocol.make("E9", spec, (g) => g.forEach("B", (k, m) => k.msg(m, m, "X")))
// end() inside a forEach, at the name, in the run-time words.
// expect-only-error: end() inside a forEach cannot end the protocol: the other members would wait forever. Move end() after the forEach.
Protocol.make("E10", spec, (g) => g.forEach("B", (k, m) => k.msg(m, "A", "X").end()))
// recur out of a forEach body: the body has no enclosing loops to recur to.
// expect-only-error: recur('L') is not inside loop 'L'
Protocol.make("E11", spec, (g) => g.loop("L", (l) => l.forEach("B", (k, m) => k.msg(m, "A", "X").recur("L"))))
