/**
 * quadrille/promise: a session run from plain async code, no Effect written. The protocol and
 * the roles are the same as anywhere (handlers return plain values); `Session.runPromise`
 * resolves with every role's result and a failed session rejects with the tagged error
 * itself. `Role.runPromise` runs one role, here two of them on one in-memory transport.
 *
 *   npx tsx examples/promise.ts
 */
import { Schema } from "effect"
import { Memory, Protocol, Role, Session, type Timeout } from "../src/promise/index.js"

export const Quote = Protocol.make("Quote", {
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

const buyer = (budget: number) =>
  Role.implement(Quote, "Buyer", {
    send: { Ask: () => ({ item: "book" }), Accept: () => ({}), Reject: () => ({}) },
    recv: { Price: (s, p) => ({ ...s, price: p.amount }) },
    choose: { decision: (s) => (s.price <= budget ? "accept" : "reject") }
  }, { price: 0 })

const seller = (price: number) =>
  Role.implement(Quote, "Seller", {
    send: { Price: () => ({ amount: price }) },
    recv: { Ask: (s) => s, Accept: () => "sold", Reject: () => "not sold" }
  }, "waiting")

export const main = async () => {
  const results = await Session.runPromise(Quote, { Buyer: buyer(10), Seller: seller(8) })
  console.log(`Session.runPromise: the buyer saw ${results.Buyer.price}, the seller ${results.Seller}`)

  const transport = Memory.unsafeMake()
  const [b, s] = await Promise.all([
    Role.runPromise(Quote, "Buyer", buyer(5), { sessionId: "quote-2", transport }),
    Role.runPromise(Quote, "Seller", seller(8), { sessionId: "quote-2", transport })
  ])
  console.log(`Role.runPromise: the buyer saw ${b.price}, the seller ${s}`)

  try {
    // No buyer ever comes: the seller gives up after 100 ms.
    await Role.runPromise(Quote, "Seller", seller(8), { sessionId: "quote-3", transport, receiveTimeout: "100 millis" })
  } catch (e) {
    const error = e as Timeout
    console.log(`a seller alone rejects with ${error._tag}: ${error.message}`)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
