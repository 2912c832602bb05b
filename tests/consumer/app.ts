/**
 * A user's program against the installed package (see scripts/consumer-test.mjs): every entry
 * point that needs no Node service, fast-check not installed. Prints one JSON line.
 */
import { Effect, Either, Exit, FastCheck } from "effect"
import * as E from "fp-ts/lib/Either.js"
import { type Local, Protocol, Role, Session } from "quadrille"
import * as Fp from "quadrille/fp-ts"
import * as P from "quadrille/promise"
import { simulate, Trace } from "quadrille/testing"
import { wellFormedProtocol } from "quadrille/testing/arbitrary/effect"
import { buyer, Quote, seller } from "./quote.js"

// The local type as the compiler computes it.
type SellerType = Local<typeof Quote, "Seller">
const local: SellerType["_tag"] = "Recv"

const hand = Role.program(Quote, "Seller", (ch) =>
  Effect.gen(function*() {
    const [ask, c1] = yield* ch.recv("Buyer", "Ask")
    const c2 = yield* c1.send("Buyer", "Price", { amount: ask.item.length })
    const o = yield* c2.offer()
    return yield* o.next.close(o.label === "Accept" ? "sold" : "not sold")
  }))

const session = await Effect.runPromise(Session.run(Quote, { Buyer: buyer(10), Seller: hand }))
const sim = await Effect.runPromise(simulate(Quote, { Buyer: buyer(10), Seller: seller(8) }, { seed: 7 }))
const simulated = Exit.isSuccess(sim.exit) ? sim.exit.value.Seller : "failed"
const traceValid = Either.isRight(Trace.validate(Quote, sim.trace))
// The arbitraries on effect's own fast-check; the fast-check 4 entry cannot load without fast-check.
const sampled = FastCheck.sample(wellFormedProtocol({ maxDepth: 2 }), { numRuns: 3, seed: 1 }).length
const fastCheckEntry = "quadrille/testing/arbitrary" as string
const withoutFastCheck = await import(fastCheckEntry).then(() => "loaded", (e: { code?: string }) => e.code)

const promised = await P.Session.runPromise(Quote, { Buyer: buyer(10), Seller: seller(8) })
const rejected = await P.Role.runPromise(Quote, "Seller", seller(8), {
  sessionId: "alone",
  transport: P.Memory.unsafeMake(),
  receiveTimeout: "20 millis"
}).then(() => "resolved", (e: P.Timeout) => e._tag)

const task = await Fp.Session.runTask(Quote, { Buyer: buyer(10), Seller: seller(8) })()
const made = Fp.Protocol.makeEither("Again", { roles: Quote.roles, messages: Quote.messages }, (g) => g.msg("Buyer", "Seller", "Ask"))

console.log(local, Protocol.formatLocal(Protocol.project(Quote, "Seller")))
console.log(JSON.stringify({
  session: session.Seller,
  simulated,
  traceValid,
  sampled,
  withoutFastCheck,
  promise: promised.Seller,
  rejected,
  fpts: E.isRight(task) ? task.right.Seller : task.left._tag,
  made: E.isRight(made) ? "Right" : "Left"
}))
