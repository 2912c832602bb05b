/**
 * A three-party deal: the Shipper learns the Buyer's decision only from which message
 * reaches it next, sent by the Seller, who learned it from the Buyer (full merging).
 *
 *   Buyer  -> Seller  : RequestQuote { item }
 *   Seller -> Buyer   : Quote { price }
 *   choice 'deal' at Buyer
 *     accept: Buyer   -> Seller  : Accept { address }
 *             Seller  -> Shipper : ShipOrder { item, address }
 *             Shipper -> Buyer   : DeliveryDate { date }
 *     reject: Buyer   -> Seller  : Reject { reason }
 *             Seller  -> Shipper : CancelSlot
 *   Seller -> Buyer : Receipt { text }          (after either branch)
 *
 * Locally the Shipper offers { ShipOrder, CancelSlot } from the Seller; the Buyer never
 * hears from the Shipper when it rejects.
 */
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

export const Deal = Protocol.make("Deal", {
  roles: ["Buyer", "Seller", "Shipper"],
  messages: {
    RequestQuote: Schema.Struct({ item: Schema.String }),
    Quote: Schema.Struct({ price: Schema.Number }),
    Accept: Schema.Struct({ address: Schema.String }),
    Reject: Schema.Struct({ reason: Schema.String }),
    ShipOrder: Schema.Struct({ item: Schema.String, address: Schema.String }),
    CancelSlot: Schema.Struct({}),
    DeliveryDate: Schema.Struct({ date: Schema.String }),
    Receipt: Schema.Struct({ text: Schema.String })
  }
}, (g) =>
  g
    .msg("Buyer", "Seller", "RequestQuote")
    .msg("Seller", "Buyer", "Quote")
    .choice("Buyer", "deal", {
      accept: (b) =>
        b
          .msg("Buyer", "Seller", "Accept")
          .msg("Seller", "Shipper", "ShipOrder")
          .msg("Shipper", "Buyer", "DeliveryDate"),
      reject: (b) => b.msg("Buyer", "Seller", "Reject").msg("Seller", "Shipper", "CancelSlot")
    })
    .msg("Seller", "Buyer", "Receipt"))

/** The roles' states as Schemas: with them the roles can run durably (`Role.resume`). */
const BuyerState = Schema.Struct({ price: Schema.Number, delivery: Schema.String, receipt: Schema.String })
const SellerState = Schema.Struct({ item: Schema.String, address: Schema.String })
const ShipperState = Schema.Struct({ shipped: Schema.Array(Schema.String), cancelled: Schema.Number })

/** The Buyer accepts any price up to its budget. */
export const buyer = (item: string, budget: number) =>
  Role.implement(Deal, "Buyer", {
    send: {
      RequestQuote: () => ({ item }),
      Accept: () => ({ address: "1 Quadrille Lane" }),
      Reject: (s) => ({ reason: `price ${s.price} is over budget ${budget}` })
    },
    recv: {
      Quote: (s, q) => ({ ...s, price: q.price }),
      DeliveryDate: (s, d) => ({ ...s, delivery: d.date }),
      Receipt: (s, r) => ({ ...s, receipt: r.text })
    },
    choose: { deal: (s) => (s.price <= budget ? "accept" : "reject") }
  }, { price: 0, delivery: "none", receipt: "" }, { state: BuyerState })

const prices: Record<string, number> = { book: 12, piano: 4000 }

export const seller = Role.implement(Deal, "Seller", {
  send: {
    Quote: (s) => ({ price: prices[s.item] ?? 100 }),
    ShipOrder: (s) => ({ item: s.item, address: s.address }),
    CancelSlot: () => ({}),
    Receipt: (s) => ({ text: s.address === "" ? `no sale of ${s.item}` : `sold ${s.item}` })
  },
  recv: {
    RequestQuote: (s, r) => ({ ...s, item: r.item }),
    Accept: (s, a) => ({ ...s, address: a.address }),
    Reject: (s) => s
  }
}, { item: "", address: "" }, { state: SellerState })

export const shipper = Role.implement(Deal, "Shipper", {
  send: { DeliveryDate: () => ({ date: "2026-12-01" }) },
  recv: {
    ShipOrder: (s, o) => ({ ...s, shipped: [...s.shipped, `${o.item} to ${o.address}`] }),
    CancelSlot: (s) => ({ ...s, cancelled: s.cancelled + 1 })
  }
}, { shipped: [] as ReadonlyArray<string>, cancelled: 0 }, { state: ShipperState })

export const main = (item: string, budget: number) =>
  Session.run(Deal, { Buyer: buyer(item, budget), Seller: seller, Shipper: shipper })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(Effect.all([main("book", 50), main("piano", 50)])).then((r) =>
    console.log(JSON.stringify(r, null, 2))
  )
}
