/**
 * quadrille/fp-ts: the same Quote session for fp-ts code. `Protocol.makeEither` is an fp-ts
 * `Either` (Left: why the protocol is ill formed), `Session.runTask` and `Role.runTask` are
 * `TaskEither`s (Left: the tagged error of the role that failed).
 *
 *   npx tsx examples/fp-ts.ts
 */
import { Schema } from "effect"
import * as E from "fp-ts/lib/Either.js"
import { pipe } from "fp-ts/lib/function.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { Memory, Protocol, Role, Session } from "../src/fp-ts/index.js"

const messages = {
  Ask: Schema.Struct({ item: Schema.String }),
  Price: Schema.Struct({ amount: Schema.Number }),
  Accept: Schema.Struct({}),
  Reject: Schema.Struct({})
}

export const main = async () => {
  // An ill-formed protocol is a Left: the Seller cannot tell the branches apart.
  const unaware = Protocol.makeEither("Unaware", { roles: ["Buyer", "Seller"], messages }, (g) =>
    g.msg("Buyer", "Seller", "Ask").choice("Buyer", "decision", {
      accept: (b) => b.msg("Seller", "Buyer", "Price"),
      reject: (b) => b.msg("Buyer", "Seller", "Reject")
    }))
  console.log(`makeEither of an ill-formed protocol: ${E.isLeft(unaware) ? unaware.left.message : "accepted"}`)

  const made = Protocol.makeEither("Quote", { roles: ["Buyer", "Seller"], messages }, (g) =>
    g
      .msg("Buyer", "Seller", "Ask")
      .msg("Seller", "Buyer", "Price")
      .choice("Buyer", "decision", {
        accept: (b) => b.msg("Buyer", "Seller", "Accept"),
        reject: (b) => b.msg("Buyer", "Seller", "Reject")
      }))
  if (E.isLeft(made)) throw made.left
  const Quote = made.right

  const buyer = Role.implement(Quote, "Buyer", {
    send: { Ask: () => ({ item: "book" }), Accept: () => ({}), Reject: () => ({}) },
    recv: { Price: (s, p) => ({ ...s, price: p.amount }) },
    choose: { decision: (s) => (s.price <= 10 ? "accept" : "reject") }
  }, { price: 0 })
  const seller = Role.implement(Quote, "Seller", {
    send: { Price: () => ({ amount: 8 }) },
    recv: { Ask: (s) => s, Accept: () => "sold", Reject: () => "not sold" }
  }, "waiting")

  const summary = await pipe(
    Session.runTask(Quote, { Buyer: buyer, Seller: seller }),
    TE.map((r) => `the buyer saw ${r.Buyer.price}, the seller ${r.Seller}`),
    TE.getOrElse((error) => () => Promise.resolve(`failed: ${error._tag}`))
  )()
  console.log(`Session.runTask: ${summary}`)

  // The seller alone, over a transport no buyer is on: Left of Timeout after 100 ms.
  const alone = await Role.runTask(Quote, "Seller", seller, {
    sessionId: "quote-2",
    transport: Memory.unsafeMake(),
    receiveTimeout: "100 millis"
  })()
  console.log(`Role.runTask of a seller alone: ${E.isLeft(alone) ? `Left(${alone.left._tag})` : "Right"}`)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
