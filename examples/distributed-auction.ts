/**
 * DistributedAuction, from the seed guide ("Multi-Party Protocols"): an open ascending
 * auction over a fixed number of rounds, in each of which the three bidders bid at once.
 *
 *   DistributedAuction(Auctioneer, Bidder1, Bidder2, Bidder3)
 *     Auctioneer -> Bidder1, Bidder2, Bidder3 : AuctionAnnouncement { item, reserve, increment }
 *     repeat maxRounds                                  (a session parameter)
 *       parallel
 *         Bidder1 -> Auctioneer : Bid { amount }
 *         Bidder2 -> Auctioneer : Bid { amount }
 *         Bidder3 -> Auctioneer : Bid { amount }
 *       barrier
 *       Auctioneer -> Bidder1, Bidder2, Bidder3 : RoundResult { round, highest, holder }   (round from 1)
 *     Auctioneer -> Bidder1, Bidder2, Bidder3 : AuctionResult { winner, price }
 *
 * Every role knows the number of rounds from the session parameter `maxRounds`
 * (`Session.run(DistributedAuction, roles, { params: { maxRounds } })`), so no message says
 * "one more round". A bid takes the lead when it is at least the reserve and above the
 * highest bid so far (between equal bids of one round, the first bidder's); the holder of
 * the lead after the last round wins at the price of its bid, and with no bid at or above
 * the reserve there is no winner. A bidder opens at the reserve if its budget allows,
 * raises the highest bid by its step (at least the announced increment) while that stays
 * within its budget, and otherwise repeats its previous bid (so its bids never go down).
 *
 * The Auctioneer is written by hand (`Role.program`): `round()` for each round of the
 * repeat, `parallel(...)` with one function per bidder's branch. The bidders are generated
 * (`Role.implement`).
 */
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

export const Bidder = Schema.Literal("Bidder1", "Bidder2", "Bidder3")
export type Bidder = typeof Bidder.Type
export const bidders: ReadonlyArray<Bidder> = ["Bidder1", "Bidder2", "Bidder3"]

export const DistributedAuction = Protocol.make("DistributedAuction", {
  roles: ["Auctioneer", "Bidder1", "Bidder2", "Bidder3"],
  messages: {
    AuctionAnnouncement: Schema.Struct({
      item: Schema.String,
      reserve: Schema.NonNegativeInt,
      increment: Schema.Int.pipe(Schema.positive())
    }),
    Bid: Schema.Struct({ amount: Schema.NonNegativeInt }),
    RoundResult: Schema.Struct({
      round: Schema.Int.pipe(Schema.positive()),
      highest: Schema.NonNegativeInt,
      holder: Schema.NullOr(Bidder)
    }),
    AuctionResult: Schema.Struct({ winner: Schema.NullOr(Bidder), price: Schema.NonNegativeInt })
  }
}, (g) =>
  g
    .broadcast("Auctioneer", ["Bidder1", "Bidder2", "Bidder3"], "AuctionAnnouncement")
    .repeat("maxRounds", (r) =>
      r
        .parallel(
          (b) => b.msg("Bidder1", "Auctioneer", "Bid"),
          (b) => b.msg("Bidder2", "Auctioneer", "Bid"),
          (b) => b.msg("Bidder3", "Auctioneer", "Bid")
        )
        .broadcast("Auctioneer", ["Bidder1", "Bidder2", "Bidder3"], "RoundResult"))
    .broadcast("Auctioneer", ["Bidder1", "Bidder2", "Bidder3"], "AuctionResult"))

type Payload<L extends keyof typeof DistributedAuction.messages> = Schema.Schema.Type<
  (typeof DistributedAuction.messages)[L]
>
export type Announcement = Payload<"AuctionAnnouncement">
export type RoundResult = Payload<"RoundResult">
export type AuctionResult = Payload<"AuctionResult">

// ---------------------------------------------------------------------------------------------
// The Auctioneer, by hand

export interface AuctioneerResult {
  readonly announcement: Announcement
  /** The bids of each round, by bidder. */
  readonly bids: ReadonlyArray<{ readonly [B in Bidder]: number }>
  /** The result of each round, as sent to every bidder. */
  readonly rounds: ReadonlyArray<RoundResult>
  readonly result: AuctionResult
}

/** The lead after a round's bids: a bid at or above the reserve and above the highest so far. */
export const lead = (
  announcement: Announcement,
  before: { readonly highest: number; readonly holder: Bidder | null },
  bids: { readonly [B in Bidder]: number }
): { readonly highest: number; readonly holder: Bidder | null } => {
  let { highest, holder } = before
  for (const b of bidders) {
    const amount = bids[b]
    if (amount >= announcement.reserve && (holder === null || amount > highest)) {
      highest = amount
      holder = b
    }
  }
  return { highest, holder }
}

export const auctioneer = (announcement: Announcement) =>
  Role.program(DistributedAuction, "Auctioneer", (ch) =>
    Effect.gen(function*() {
      const a1 = yield* ch.send("Bidder1", "AuctionAnnouncement", announcement)
      const a2 = yield* a1.send("Bidder2", "AuctionAnnouncement", announcement)
      let at = yield* a2.send("Bidder3", "AuctionAnnouncement", announcement)
      const bids: Array<{ readonly [B in Bidder]: number }> = []
      const rounds: Array<RoundResult> = []
      let standing: { readonly highest: number; readonly holder: Bidder | null } = { highest: 0, holder: null }
      for (;;) {
        const r = yield* at.round()
        if (r.label === "done") {
          const result: AuctionResult = { winner: standing.holder, price: standing.holder === null ? 0 : standing.highest }
          const e1 = yield* r.next.send("Bidder1", "AuctionResult", result)
          const e2 = yield* e1.send("Bidder2", "AuctionResult", result)
          const end = yield* e2.send("Bidder3", "AuctionResult", result)
          return yield* end.close<AuctioneerResult>({ announcement, bids, rounds, result })
        }
        // The three bids arrive concurrently, each on its own branch; the barrier waits for all.
        const { next, results: [b1, b2, b3] } = yield* r.next.parallel(
          (e) => Effect.flatMap(e.recv("Bidder1", "Bid"), ([bid, end]) => end.close(bid.amount)),
          (e) => Effect.flatMap(e.recv("Bidder2", "Bid"), ([bid, end]) => end.close(bid.amount)),
          (e) => Effect.flatMap(e.recv("Bidder3", "Bid"), ([bid, end]) => end.close(bid.amount))
        )
        const round = { Bidder1: b1, Bidder2: b2, Bidder3: b3 }
        bids.push(round)
        standing = lead(announcement, standing, round)
        const result: RoundResult = { round: r.round + 1, ...standing }
        rounds.push(result)
        const c1 = yield* next.send("Bidder1", "RoundResult", result)
        const c2 = yield* c1.send("Bidder2", "RoundResult", result)
        at = yield* c2.send("Bidder3", "RoundResult", result)
      }
    }))

// ---------------------------------------------------------------------------------------------
// The bidders, generated: one record of handlers for the three roles

export interface Strategy {
  /** The most this bidder will pay. */
  readonly budget: number
  /** How much it raises the highest bid by (at least the announced increment). */
  readonly step: number
}

export interface BidderState extends Strategy {
  readonly name: Bidder
  readonly announcement: Announcement | null
  /** This bidder's bid in each round. */
  readonly bids: ReadonlyArray<number>
  /** The result of each round, as the Auctioneer announced it. */
  readonly rounds: ReadonlyArray<RoundResult>
  readonly result: AuctionResult | null
}

/** What `nextBid` reads of a bidder's state (this auction's and the family auction's). */
export interface Bidding extends Strategy {
  readonly name: string
  readonly announcement: { readonly reserve: number; readonly increment: number } | null
  readonly bids: ReadonlyArray<number>
  readonly rounds: ReadonlyArray<{ readonly highest: number; readonly holder: string | null }>
}

/**
 * The bid for the next round, from what the bidder knows: open at the reserve; while
 * someone else holds the lead, raise it by the step if the budget allows; otherwise keep the
 * previous bid.
 */
export const nextBid = (s: Bidding): number => {
  const a = s.announcement
  if (a === null) return 0
  const previous = s.bids.length > 0 ? s.bids[s.bids.length - 1] : 0
  const last = s.rounds.length > 0 ? s.rounds[s.rounds.length - 1] : undefined
  if (last === undefined || last.holder === null) return s.budget >= a.reserve ? Math.max(previous, a.reserve) : previous
  if (last.holder === s.name) return previous
  const raise = last.highest + Math.max(s.step, a.increment)
  return raise <= s.budget ? raise : previous
}

const bidderHandlers = {
  send: { Bid: (s: BidderState): Payload<"Bid"> => ({ amount: nextBid(s) }) },
  recv: {
    AuctionAnnouncement: (s: BidderState, a: Announcement): BidderState => ({ ...s, announcement: a }),
    // The bid of this round is the one `nextBid` gave before this result: nothing else was
    // received in between, so it is recorded now, with the result.
    RoundResult: (s: BidderState, r: RoundResult): BidderState => ({
      ...s,
      bids: [...s.bids, nextBid(s)],
      rounds: [...s.rounds, r]
    }),
    AuctionResult: (s: BidderState, r: AuctionResult): BidderState => ({ ...s, result: r })
  }
}

/** A bidder's state as a Schema: with it the bidders can run durably (`Role.resume`). */
export const BidderStateSchema = Schema.Struct({
  name: Bidder,
  budget: Schema.Number,
  step: Schema.Number,
  announcement: Schema.NullOr(DistributedAuction.messages.AuctionAnnouncement),
  bids: Schema.Array(Schema.Number),
  rounds: Schema.Array(DistributedAuction.messages.RoundResult),
  result: Schema.NullOr(DistributedAuction.messages.AuctionResult)
})

const bidderStart = (name: Bidder, strategy: Strategy): BidderState => ({
  name,
  ...strategy,
  announcement: null,
  bids: [],
  rounds: [],
  result: null
})

export const bidder1 = (strategy: Strategy) =>
  Role.implement(DistributedAuction, "Bidder1", bidderHandlers, bidderStart("Bidder1", strategy), { state: BidderStateSchema })
export const bidder2 = (strategy: Strategy) =>
  Role.implement(DistributedAuction, "Bidder2", bidderHandlers, bidderStart("Bidder2", strategy), { state: BidderStateSchema })
export const bidder3 = (strategy: Strategy) =>
  Role.implement(DistributedAuction, "Bidder3", bidderHandlers, bidderStart("Bidder3", strategy), { state: BidderStateSchema })

export interface Auction {
  readonly announcement: Announcement
  readonly strategies: { readonly [B in Bidder]: Strategy }
}

/** One implementation per role of an auction. */
export const roles = (auction: Auction) => ({
  Auctioneer: auctioneer(auction.announcement),
  Bidder1: bidder1(auction.strategies.Bidder1),
  Bidder2: bidder2(auction.strategies.Bidder2),
  Bidder3: bidder3(auction.strategies.Bidder3)
})

/** Runs one auction of `maxRounds` rounds; the Auctioneer's record and each bidder's state. */
export const main = (auction: Auction, maxRounds: number, options: { readonly validate?: boolean } = {}) =>
  Session.run(DistributedAuction, roles(auction), { ...options, params: { maxRounds } })

if (import.meta.url === `file://${process.argv[1]}`) {
  const auction: Auction = {
    announcement: { item: "a harpsichord", reserve: 100, increment: 10 },
    strategies: {
      Bidder1: { budget: 180, step: 10 },
      Bidder2: { budget: 250, step: 25 },
      Bidder3: { budget: 90, step: 50 }
    }
  }
  Effect.runPromise(Effect.all([main(auction, 1), main(auction, 6, { validate: true })])).then((runs) => {
    for (const r of runs) {
      console.log(`${r.Auctioneer.announcement.item}, ${r.Auctioneer.rounds.length} round(s):`)
      r.Auctioneer.bids.forEach((b, i) => {
        const res = r.Auctioneer.rounds[i]
        console.log(`  round ${res.round}: bids ${JSON.stringify(b)}, highest ${res.highest} by ${res.holder}`)
      })
      console.log(`  winner ${r.Auctioneer.result.winner} at ${r.Auctioneer.result.price}`)
    }
  })
}
