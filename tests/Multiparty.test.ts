/**
 * The two multiparty examples of the seed guide, run for their outcome: DistributedConsensus
 * (a parallel proposal phase, the barrier, a broadcast decision) and DistributedAuction
 * (rounds of parallel bids, a session parameter for the number of rounds).
 */
import { it } from "@effect/vitest"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { Protocol, Session } from "../src/index.js"
import {
  type Auction,
  type Bidder,
  bidders,
  DistributedAuction,
  main as auction,
  roles as auctionRoles
} from "../examples/distributed-auction.js"
import { DistributedConsensus, main as consensus, type Node } from "../examples/distributed-consensus.js"

/** A small deterministic generator (LCG), so that a failure can be replayed. */
const random = (seed: number) => {
  let x = seed >>> 0
  return (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    return x % n
  }
}

const nodes: ReadonlyArray<Node> = ["Node1", "Node2", "Node3"]

/** The decision, computed apart from the example: of three values, a majority is the median. */
const expectedDecision = (values: ReadonlyArray<number>) => {
  const [a, b, c] = [...values].sort((x, y) => x - y)
  return a === b || b === c ? b : c
}

describe("DistributedConsensus: parallel proposals, the barrier, a broadcast decision", () => {
  it("projects onto every node: four concurrent branches, then the decision", () => {
    const local = (role: Node) => Protocol.formatLocal(Protocol.project(DistributedConsensus, role))
    expect(local("Node1")).toBe(
      "Par[ Send(Node2, Proposal).End || Send(Node3, Proposal).End || Recv(Node2, Proposal).End || Recv(Node3, Proposal).End ]" +
        ".Send(Node2, Decision).Send(Node3, Decision).End"
    )
    expect(local("Node2")).toBe(
      "Par[ Recv(Node1, Proposal).End || Send(Node1, Proposal).End || Send(Node3, Proposal).End || Recv(Node3, Proposal).End ]" +
        ".Recv(Node1, Decision).End"
    )
    expect(local("Node3")).toBe(
      "Par[ Recv(Node1, Proposal).End || Recv(Node2, Proposal).End || Send(Node1, Proposal).End || Send(Node2, Proposal).End ]" +
        ".Recv(Node1, Decision).End"
    )
  })

  it.effect("every node hears every other proposal before the decision, and all end with the same value", () =>
    Effect.gen(function*() {
      const next = random(7)
      let majorities = 0
      let allDifferent = 0
      for (let i = 0; i < 300; i++) {
        const proposals = { Node1: next(5), Node2: next(5), Node3: next(5) }
        const values = nodes.map((n) => proposals[n])
        const expected = expectedDecision(values)
        if (new Set(values).size === 3) allDifferent++
        else majorities++
        const r = yield* consensus(proposals, { validate: true })
        for (const n of nodes) {
          const s = r[n]
          const others = nodes.filter((o) => o !== n)
          expect(s.node).toBe(n)
          expect(s.decided).toBe(expected)
          // What it heard from each other node is that node's proposal ...
          expect(s.seen).toEqual(Object.fromEntries(others.map((o) => [o, proposals[o]])))
          // ... and it had heard both before the decision was taken (Node1) or reached it.
          expect([...(s.seenAtDecision ?? [])].sort()).toEqual(others)
          expect(s.basis).toEqual(proposals)
          expect(s.consistent).toBe(true)
        }
      }
      // Both ways of deciding were exercised.
      expect(majorities).toBeGreaterThan(50)
      expect(allDifferent).toBeGreaterThan(50)
    }))

  it.effect("with validate: true a proposal that is not a whole number is refused as it is sent", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(consensus({ Node1: 1, Node2: 2.5, Node3: 3 }, { validate: true }))
      expect(e).toMatchObject({ _tag: "ImplementationError", role: "Node2" })
      expect(e.message).toMatch(/Node2 tried to send Proposal to Node[13] at site 0\.[23]\.0 with a payload that does not match its schema/)
      // Without validation the in-memory transport passes it on, and Node1 decides the largest.
      const r = yield* consensus({ Node1: 1, Node2: 2.5, Node3: 3 })
      expect(r.Node3.decided).toBe(3)
    }))
})

// ---------------------------------------------------------------------------------------------

const harpsichord: Auction = {
  announcement: { item: "a harpsichord", reserve: 100, increment: 10 },
  strategies: {
    Bidder1: { budget: 180, step: 10 },
    Bidder2: { budget: 250, step: 25 },
    Bidder3: { budget: 90, step: 50 }
  }
}

const randomAuction = (next: (n: number) => number): Auction => {
  const reserve = 10 * next(11)
  const strategy = () => ({ budget: next(300), step: 1 + next(40) })
  return {
    announcement: { item: `lot ${next(1000)}`, reserve, increment: 1 + next(20) },
    strategies: { Bidder1: strategy(), Bidder2: strategy(), Bidder3: strategy() }
  }
}

describe("DistributedAuction: rounds of parallel bids, as many as the session parameter says", () => {
  it("projects onto every role: the rounds, the bids in parallel, the results broadcast", () => {
    expect(Protocol.formatLocal(Protocol.project(DistributedAuction, "Auctioneer"))).toBe(
      "Send(Bidder1, AuctionAnnouncement).Send(Bidder2, AuctionAnnouncement).Send(Bidder3, AuctionAnnouncement)" +
        ".Rec maxRounds.Rounds(maxRounds){ " +
        "again: Par[ Recv(Bidder1, Bid).End || Recv(Bidder2, Bid).End || Recv(Bidder3, Bid).End ]" +
        ".Send(Bidder1, RoundResult).Send(Bidder2, RoundResult).Send(Bidder3, RoundResult).maxRounds, " +
        "done: Send(Bidder1, AuctionResult).Send(Bidder2, AuctionResult).Send(Bidder3, AuctionResult).End }"
    )
    for (const b of bidders) {
      expect(Protocol.formatLocal(Protocol.project(DistributedAuction, b))).toBe(
        "Recv(Auctioneer, AuctionAnnouncement).Rec maxRounds.Rounds(maxRounds){ " +
          "again: Par[ Send(Auctioneer, Bid).End ].Recv(Auctioneer, RoundResult).maxRounds, " +
          "done: Recv(Auctioneer, AuctionResult).End }"
      )
    }
  })

  it.effect("the example's auction, round by round", () =>
    Effect.gen(function*() {
      const one = yield* auction(harpsichord, 1)
      expect(one.Auctioneer.bids).toEqual([{ Bidder1: 100, Bidder2: 100, Bidder3: 0 }])
      expect(one.Auctioneer.result).toEqual({ winner: "Bidder1", price: 100 })
      const six = yield* auction(harpsichord, 6, { validate: true })
      expect(six.Auctioneer.rounds.map((r) => [r.round, r.highest, r.holder])).toEqual([
        [1, 100, "Bidder1"],
        [2, 125, "Bidder2"],
        [3, 135, "Bidder1"],
        [4, 160, "Bidder2"],
        [5, 170, "Bidder1"],
        [6, 195, "Bidder2"]
      ])
      expect(six.Auctioneer.result).toEqual({ winner: "Bidder2", price: 195 })
      // Bidder3's budget is under the reserve: it never bids.
      expect(six.Bidder3.bids).toEqual([0, 0, 0, 0, 0, 0])
      // Bidder1 cannot raise 195 by 10 within 180: it would stop there in a seventh round.
      const seven = yield* auction(harpsichord, 7)
      expect(seven.Bidder1.bids[6]).toBe(170)
      expect(seven.Auctioneer.result).toEqual({ winner: "Bidder2", price: 195 })
    }))

  it.effect("the winner holds the highest final bid, at that price; every bidder saw the Auctioneer's rounds", () =>
    Effect.gen(function*() {
      const next = random(42)
      let won = 0
      let unsold = 0
      for (const maxRounds of [0, 1, 2, 3, 5, 8, 13]) {
        for (let i = 0; i < 25; i++) {
          const a = randomAuction(next)
          const r = yield* auction(a, maxRounds, { validate: i % 2 === 0 })
          const { reserve } = a.announcement
          // As many rounds as the session parameter, on every side.
          expect(r.Auctioneer.rounds.map((x) => x.round)).toEqual(Array.from({ length: maxRounds }, (_, k) => k + 1))
          expect(r.Auctioneer.bids).toHaveLength(maxRounds)
          for (const b of bidders) {
            const s = r[b]
            expect(s.announcement).toEqual(a.announcement)
            expect(s.rounds).toEqual(r.Auctioneer.rounds)
            expect(s.result).toEqual(r.Auctioneer.result)
            // The bids it made are the ones the Auctioneer received, never down, never over budget.
            expect(s.bids).toEqual(r.Auctioneer.bids.map((round) => round[b]))
            s.bids.forEach((amount, k) => {
              expect(amount).toBeLessThanOrEqual(s.budget)
              if (k > 0) expect(amount).toBeGreaterThanOrEqual(s.bids[k - 1])
            })
          }
          const final = (b: Bidder) => (maxRounds === 0 ? 0 : r[b].bids[maxRounds - 1])
          const highest = Math.max(...bidders.map(final))
          const { winner, price } = r.Auctioneer.result
          if (winner === null) {
            unsold++
            expect(price).toBe(0)
            expect(maxRounds === 0 || highest < reserve).toBe(true)
          } else {
            won++
            expect(final(winner)).toBe(highest)
            expect(price).toBe(highest)
            expect(price).toBeGreaterThanOrEqual(reserve)
            expect(price).toBeLessThanOrEqual(a.strategies[winner].budget)
            // The last round's result already named the winner at that price.
            expect(r.Auctioneer.rounds[maxRounds - 1]).toMatchObject({ highest: price, holder: winner })
          }
        }
      }
      expect(won).toBeGreaterThan(50)
      expect(unsold).toBeGreaterThan(25)
    }))

  it.effect("without the maxRounds parameter the session fails with an ImplementationError naming it", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Session.run(DistributedAuction, auctionRoles(harpsichord)))
      expect(e).toMatchObject({ _tag: "ImplementationError", protocol: "DistributedAuction", site: "3" })
      expect(e.message).toContain("needs the session parameter 'maxRounds' (a whole number of rounds) for repeat at site 3")
      // A parameter of another name does not stand in for it.
      const other = yield* Effect.flip(Session.run(DistributedAuction, auctionRoles(harpsichord), { params: { rounds: 3 } }))
      expect(other).toMatchObject({ _tag: "ImplementationError" })
      expect(other.message).toContain("'maxRounds'")
    }))
})
