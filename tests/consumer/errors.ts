/** Misuses that must not compile against the installed typings (see scripts/consumer-test.mjs). */
import { Effect } from "effect"
import { Role, Session } from "quadrille"
import * as P from "quadrille/promise"
import { buyer, Quote } from "./quote.js"

Role.program(Quote, "Seller", (ch) =>
  Effect.gen(function*() {
    // expect-error: the protocol expects recv Ask from Buyer here
    const c1 = yield* ch.send("Buyer", "Price", { amount: 1 })
    return yield* c1.close("early")
  }))

// expect-error: Property 'choose' is missing
Role.implement(Quote, "Buyer", { send: { Ask: () => ({ item: "book" }), Accept: () => ({}), Reject: () => ({}) } }, null)

// expect-error: Property 'Seller' is missing
Session.run(Quote, { Buyer: buyer(1) })

// expect-error: Property 'Seller' is missing
P.Session.runPromise(Quote, { Buyer: buyer(1) })
