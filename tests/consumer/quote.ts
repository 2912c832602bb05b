/** A protocol and its roles as a user of the package writes them (tests/consumer, see scripts/consumer-test.mjs). */
import { Schema } from "effect"
import { Protocol, Role } from "quadrille"

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

export const buyer = (budget: number) =>
  Role.implement(Quote, "Buyer", {
    send: { Ask: () => ({ item: "book" }), Accept: () => ({}), Reject: () => ({}) },
    recv: { Price: (s, p) => ({ ...s, price: p.amount }) },
    choose: { decision: (s) => (s.price <= budget ? ("accept" as const) : ("reject" as const)) }
  }, { price: 0 })

export const seller = (price: number) =>
  Role.implement(Quote, "Seller", {
    send: { Price: () => ({ amount: price }) },
    recv: { Ask: (s) => s, Accept: () => "sold", Reject: () => "not sold" }
  }, "waiting")
