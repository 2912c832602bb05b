/**
 * DistributedAuction with a family of bidders: the auction of distributed-auction.ts, for any
 * number of bidders, fixed when the session starts (the session parameter `Bidder`).
 *
 *   DistributedAuctionFamily(Auctioneer, Bidder[n])
 *     Auctioneer -> Bidder[*] : AuctionAnnouncement { item, reserve, increment }   (broadcast)
 *     repeat maxRounds                                                         (a session parameter)
 *       Bidder[*] -> Auctioneer : Bid { amount }       (gather: all members at once, then the barrier)
 *       Auctioneer -> Bidder[*] : RoundResult { round, highest, holder }      (broadcast; round from 1)
 *     Auctioneer -> Bidder[*] : AuctionResult { winner, price }               (broadcast)
 *
 * The rules are those of the fixed version: a bid takes the lead when it is at least the
 * reserve and above the highest so far (between equal bids of one round, the lowest index's);
 * the holder after the last round wins at its bid. Every role is generated
 * (`Role.implement`). The Auctioneer's handlers are called once per member, the member's name
 * (`Bidder[i]`) in their context's `peer`; the bidders are one implementation per member
 * (a list), each with its own strategy, so `Session.run` is given `Bidder: [b0, b1, ...]`.
 */
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"
import { nextBid, type Strategy } from "./distributed-auction.js"

// The bidders' rule and strategies are the fixed-role auction's.
export { nextBid, type Strategy }

export const DistributedAuctionFamily = Protocol.make("DistributedAuctionFamily", {
  roles: ["Auctioneer"],
  families: ["Bidder"],
  messages: {
    AuctionAnnouncement: Schema.Struct({
      item: Schema.String,
      reserve: Schema.NonNegativeInt,
      increment: Schema.Int.pipe(Schema.positive())
    }),
    Bid: Schema.Struct({ amount: Schema.NonNegativeInt }),
    RoundResult: Schema.Struct({ round: Schema.Int, highest: Schema.NonNegativeInt, holder: Schema.NullOr(Schema.String) }),
    AuctionResult: Schema.Struct({ winner: Schema.NullOr(Schema.String), price: Schema.NonNegativeInt })
  }
}, (g) =>
  g
    .broadcast("Auctioneer", "Bidder", "AuctionAnnouncement")
    .repeat("maxRounds", (r) =>
      r
        .gather("Bidder", "Auctioneer", "Bid")
        .broadcast("Auctioneer", "Bidder", "RoundResult"))
    .broadcast("Auctioneer", "Bidder", "AuctionResult"))

type Payload<L extends keyof typeof DistributedAuctionFamily.messages> = Schema.Schema.Type<
  (typeof DistributedAuctionFamily.messages)[L]
>
export type Announcement = Payload<"AuctionAnnouncement">
export type RoundResult = Payload<"RoundResult">
export type AuctionResult = Payload<"AuctionResult">

/** The member index of a bidder's name: 2 for `Bidder[2]`. */
const indexOf = (name: string) => Number(/\[(\d+)\]$/.exec(name)?.[1] ?? Number.NaN)

// ---------------------------------------------------------------------------------------------
// The Auctioneer

export interface AuctioneerState {
  readonly announcement: Announcement
  /** The bids of the round under way, by bidder. */
  readonly pending: Readonly<Record<string, number>>
  /** Every round's bids, by bidder. */
  readonly bids: ReadonlyArray<Readonly<Record<string, number>>>
  readonly rounds: ReadonlyArray<RoundResult>
  readonly result: AuctionResult | null
}

/** The lead after a round's bids, taken in the order of the bidders' indices. */
export const lead = (
  announcement: Announcement,
  before: { readonly highest: number; readonly holder: string | null },
  bids: Readonly<Record<string, number>>
): { readonly highest: number; readonly holder: string | null } => {
  let { highest, holder } = before
  for (const b of Object.keys(bids).sort((x, y) => indexOf(x) - indexOf(y))) {
    if (bids[b] >= announcement.reserve && (holder === null || bids[b] > highest)) {
      highest = bids[b]
      holder = b
    }
  }
  return { highest, holder }
}

const standing = (s: AuctioneerState) => {
  const last = s.rounds.length > 0 ? s.rounds[s.rounds.length - 1] : undefined
  return { highest: last?.highest ?? 0, holder: last?.holder ?? null }
}

export const auctioneer = (announcement: Announcement) =>
  Role.implement(DistributedAuctionFamily, "Auctioneer", {
    send: {
      AuctionAnnouncement: (s) => s.announcement,
      // The first RoundResult of a round closes it (every bid is in: the gather's barrier);
      // the others repeat that result to the next bidders.
      RoundResult: (s) => {
        if (Object.keys(s.pending).length === 0) return s.rounds[s.rounds.length - 1]
        const result: RoundResult = { round: s.rounds.length + 1, ...lead(s.announcement, standing(s), s.pending) }
        return Role.withState(result, { ...s, pending: {}, bids: [...s.bids, s.pending], rounds: [...s.rounds, result] })
      },
      AuctionResult: (s) => {
        const { highest, holder } = standing(s)
        const result: AuctionResult = { winner: holder, price: holder === null ? 0 : highest }
        return Role.withState(result, { ...s, result })
      }
    },
    recv: { Bid: (s, bid, context) => ({ ...s, pending: { ...s.pending, [context.peer]: bid.amount } }) }
  }, { announcement, pending: {}, bids: [], rounds: [], result: null } as AuctioneerState)

// ---------------------------------------------------------------------------------------------
// The bidders: one implementation per member, each with its strategy

export interface BidderState extends Strategy {
  readonly name: string
  readonly announcement: Announcement | null
  readonly bids: ReadonlyArray<number>
  readonly rounds: ReadonlyArray<RoundResult>
  readonly result: AuctionResult | null
}

export const bidder = (index: number, strategy: Strategy) =>
  Role.implement(DistributedAuctionFamily, "Bidder", {
    send: {
      Bid: (s, context) => {
        const amount = nextBid(s)
        // The implementation runs as the member it was given for.
        if (context.member !== index) return Effect.dieMessage(`bidder ${index} runs as ${context.role}`)
        return Role.withState({ amount }, { ...s, bids: [...s.bids, amount] })
      }
    },
    recv: {
      AuctionAnnouncement: (s, a) => ({ ...s, announcement: a }),
      RoundResult: (s, r) => ({ ...s, rounds: [...s.rounds, r] }),
      AuctionResult: (s, r) => ({ ...s, result: r })
    }
  }, { name: `Bidder[${index}]`, ...strategy, announcement: null, bids: [], rounds: [], result: null } as BidderState)

/** One implementation per role: the Auctioneer, and a list of bidders, one per strategy. */
export const roles = (announcement: Announcement, strategies: ReadonlyArray<Strategy>) => ({
  Auctioneer: auctioneer(announcement),
  Bidder: strategies.map((s, i) => bidder(i, s))
})

/** Runs an auction with one bidder per strategy, over `maxRounds` rounds. */
export const main = (announcement: Announcement, strategies: ReadonlyArray<Strategy>, maxRounds: number) =>
  Session.run(DistributedAuctionFamily, roles(announcement, strategies), { params: { Bidder: strategies.length, maxRounds } })

/** `n` bidders with budgets 90, 125, 160, ... and steps 10, 15, 20, ... */
export const strategies = (n: number): Array<Strategy> =>
  Array.from({ length: n }, (_, i) => ({ budget: 90 + 35 * i, step: 10 + 5 * (i % 4) }))

if (import.meta.url === `file://${process.argv[1]}`) {
  const announcement: Announcement = { item: "a harpsichord", reserve: 100, increment: 10 }
  Effect.runPromise(Effect.all([main(announcement, strategies(3), 6), main(announcement, strategies(10), 6)])).then((runs) => {
    for (const r of runs) {
      console.log(`${r.Bidder.length} bidders, ${r.Auctioneer.rounds.length} rounds:`)
      r.Auctioneer.rounds.forEach((res) => console.log(`  round ${res.round}: highest ${res.highest} by ${res.holder}`))
      console.log(`  winner ${r.Auctioneer.result?.winner} at ${r.Auctioneer.result?.price}`)
    }
  })
}
