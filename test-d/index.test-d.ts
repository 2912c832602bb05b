/**
 * The published typings as a consumer sees them (tsd 0.33, TypeScript 5.9): these files import
 * the package by its name, so they are checked against dist/*.d.ts behind package.json
 * "exports", not against src/. `npm run test:tsd` (after `npm run build`).
 */
import { Effect, Either, type FastCheck, Schema } from "effect"
import { expectAssignable, expectError, expectNotAssignable, expectType } from "tsd"
import { type Local, type ProjectionError, Protocol, Role, type RoleError, Session } from "quadrille"
import * as Fp from "quadrille/fp-ts"
import * as P from "quadrille/promise"
import { simulate, Trace } from "quadrille/testing"
import { payload, wellFormedProtocol } from "quadrille/testing/arbitrary/effect"

const Quote = Protocol.make("Quote", {
  roles: ["Buyer", "Seller"],
  messages: {
    Ask: Schema.Struct({ item: Schema.String }),
    Price: Schema.Struct({ amount: Schema.Number }),
    Accept: Schema.Struct({}),
    Reject: Schema.Struct({})
  }
}, (g) =>
  g
    .msg("Buyer", "Seller", "Ask")
    .msg("Seller", "Buyer", "Price")
    .choice("Buyer", "decision", {
      accept: (b) => b.msg("Buyer", "Seller", "Accept"),
      reject: (b) => b.msg("Buyer", "Seller", "Reject")
    }))

// Protocol.make: the roles and the catalogue are in the type.
expectType<"Quote">(Quote.name)
expectType<ReadonlyArray<"Buyer" | "Seller">>(Quote.roles)
expectAssignable<Protocol.Any>(Quote)
// A message from an undeclared role does not compile at the builder call.
expectError(Protocol.make("Bad", { roles: ["A", "B"], messages: { M: Schema.Number } }, (g) => g.msg("A", "C", "M")))
// makeEither checks at run time only: an Either of the protocol or the ProjectionError.
const either = Protocol.makeEither("E", { roles: ["A", "B"], messages: { M: Schema.Number } }, (g) => g.msg("A", "B", "M"))
expectAssignable<Either.Either<Protocol.Any, ProjectionError>>(either)

// Local types, computed by the compiler.
expectType<"Recv">({} as Local<typeof Quote, "Seller">["_tag"])

// Role.implement: the handlers are typed by the protocol.
const buyer = Role.implement(Quote, "Buyer", {
  send: { Ask: () => ({ item: "book" }), Accept: () => ({}), Reject: () => ({}) },
  recv: { Price: (s, p) => ({ ...s, price: p.amount }) },
  choose: { decision: (s) => (s.price <= 10 ? ("accept" as const) : ("reject" as const)) }
}, { price: 0 })
expectAssignable<Role.Implementation<typeof Quote, "Buyer", { price: number }>>(buyer)
const seller = Role.implement(Quote, "Seller", {
  send: { Price: () => ({ amount: 8 }) },
  recv: { Ask: (s) => s, Accept: () => "sold", Reject: () => "not sold" }
}, "waiting")
// A missing choose handler, a wrong payload, a label that does not exist.
expectError(Role.implement(Quote, "Buyer", { send: { Ask: () => ({ item: "book" }), Accept: () => ({}), Reject: () => ({}) } }, null))
expectError(Role.implement(Quote, "Seller", { send: { Price: () => ({ amount: "eight" }) } }, null))
expectError(Role.implement(Quote, "Seller", { send: { Price: () => ({ amount: 8 }), Refund: () => ({}) } }, null))

// Role.program: an endpoint call out of order does not compile.
Role.program(Quote, "Seller", (ch) =>
  Effect.gen(function*() {
    expectError(ch.send("Buyer", "Price", { amount: 1 }))
    const [ask, c1] = yield* ch.recv("Buyer", "Ask")
    expectType<string>(ask.item)
    expectError(c1.recv("Buyer", "Accept"))
    const c2 = yield* c1.send("Buyer", "Price", { amount: 1 })
    const o = yield* c2.offer()
    return yield* o.next.close(o.label)
  }))

// Session.run: each role's result; every role must be given.
const run = Session.run(Quote, { Buyer: buyer, Seller: seller })
expectType<Effect.Effect<{ readonly Buyer: { price: number }; readonly Seller: string }, RoleError, never>>(run)
expectError(Session.run(Quote, { Buyer: buyer }))
expectError(Session.run(Quote, { Buyer: buyer, Seller: buyer }))

// quadrille/testing: simulate and Trace, with no fast-check in their typings.
const simulated = simulate(Quote, { Buyer: buyer, Seller: seller }, { seed: 1 })
expectAssignable<Effect.Effect<{ readonly trace: ReadonlyArray<unknown> }>>(simulated)
expectType<typeof Trace.validate>(Trace.validate)

// quadrille/testing/arbitrary/effect: arbitraries of effect's fast-check; payloads typed by the catalogue.
expectAssignable<FastCheck.Arbitrary<{ readonly protocol: Protocol.Any }>>(wellFormedProtocol())
expectType<FastCheck.Arbitrary<{ readonly amount: number }>>(payload(Quote, "Price"))
expectError(payload(Quote, "Refund"))

// quadrille/promise: a Promise of the results.
expectType<Promise<{ readonly Buyer: { price: number }; readonly Seller: string }>>(
  P.Session.runPromise(Quote, { Buyer: buyer, Seller: seller })
)
expectType<Promise<string>>(P.Role.runPromise(Quote, "Seller", seller, { sessionId: "s", transport: P.Memory.unsafeMake() }))
// Role.runPromise needs a transport; implementations that need a service do not run here.
expectError(P.Role.runPromise(Quote, "Seller", seller, { sessionId: "s" }))
class Db extends Effect.Tag("Db")<Db, { readonly price: Effect.Effect<number> }>() {}
const withDb = Role.implement(Quote, "Seller", {
  send: { Price: () => Effect.map(Db.price, (amount) => ({ amount })) },
  recv: { Ask: (s) => s, Accept: () => "sold", Reject: () => "not sold" }
}, "waiting")
expectNotAssignable<Role.Implementation<typeof Quote, "Seller", string, unknown, never>>(withDb)
expectError(P.Session.runPromise(Quote, { Buyer: buyer, Seller: withDb }))

// quadrille/fp-ts: TaskEither runs, an fp-ts Either from makeEither.
const task = Fp.Session.runTask(Quote, { Buyer: buyer, Seller: seller })
expectAssignable<() => Promise<{ readonly _tag: "Left"; readonly left: RoleError } | { readonly _tag: "Right" }>>(task)
const made = Fp.Protocol.makeEither("F", { roles: ["A", "B"], messages: { M: Schema.Number } }, (g) => g.msg("A", "B", "M"))
expectAssignable<{ readonly _tag: "Left"; readonly left: ProjectionError } | { readonly _tag: "Right"; readonly right: Protocol.Any }>(made)
