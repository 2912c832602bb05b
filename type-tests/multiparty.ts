/**
 * The multiparty examples at compile time: the exact local types of every role of
 * DistributedConsensus (a parallel, then a broadcast) and DistributedAuction (rounds of a
 * parallel), typed parallel endpoints used as intended, and their misuse. Expected-error
 * texts avoid the members of unions, whose order differs between TypeScript 5.9 and 7.0.
 */
import { Effect } from "effect"
import { expectTypeOf } from "vitest"
import type { End, Endpoint, Local, Par, Rec, Recv, Rounds, Send, Var } from "../src/index.js"
import { Role } from "../src/index.js"
import { DistributedAuction } from "../examples/distributed-auction.js"
import { DistributedConsensus } from "../examples/distributed-consensus.js"

// ---------------------------------------------------------------------------------------------
// DistributedConsensus: six concurrent proposals, the barrier, Node1's decision

type Proposal = { readonly proposer: "Node1" | "Node2" | "Node3"; readonly value: number }
type Decision = {
  readonly value: number
  readonly proposals: { readonly Node1: number; readonly Node2: number; readonly Node3: number }
}

// Each node takes part in four of the six branches (its two sends, its two receives), in the
// order of the protocol; the decision follows the barrier.
expectTypeOf<Local<typeof DistributedConsensus, "Node1">>().toEqualTypeOf<
  Par<[
    Send<"Node2", "Proposal", Proposal, End>,
    Send<"Node3", "Proposal", Proposal, End>,
    Recv<"Node2", "Proposal", Proposal, End>,
    Recv<"Node3", "Proposal", Proposal, End>
  ], Send<"Node2", "Decision", Decision, Send<"Node3", "Decision", Decision, End>>>
>()

expectTypeOf<Local<typeof DistributedConsensus, "Node2">>().toEqualTypeOf<
  Par<[
    Recv<"Node1", "Proposal", Proposal, End>,
    Send<"Node1", "Proposal", Proposal, End>,
    Send<"Node3", "Proposal", Proposal, End>,
    Recv<"Node3", "Proposal", Proposal, End>
  ], Recv<"Node1", "Decision", Decision, End>>
>()

expectTypeOf<Local<typeof DistributedConsensus, "Node3">>().toEqualTypeOf<
  Par<[
    Recv<"Node1", "Proposal", Proposal, End>,
    Recv<"Node2", "Proposal", Proposal, End>,
    Send<"Node1", "Proposal", Proposal, End>,
    Send<"Node2", "Proposal", Proposal, End>
  ], Recv<"Node1", "Decision", Decision, End>>
>()

// Node3 by hand: one function per branch, each returning its branch's Done; the results
// come back in branch order, typed by what each branch closed with.
const node3 = Role.program(DistributedConsensus, "Node3", (ch) =>
  Effect.gen(function*() {
    const mine: Proposal = { proposer: "Node3", value: 3 }
    const { results, next } = yield* ch.parallel(
      (b) => Effect.flatMap(b.recv("Node1", "Proposal"), ([p, end]) => end.close(p.value)),
      (b) => Effect.flatMap(b.recv("Node2", "Proposal"), ([p, end]) => end.close(p.proposer)),
      (b) => Effect.flatMap(b.send("Node1", "Proposal", mine), (end) => end.close()),
      (b) => Effect.flatMap(b.send("Node2", "Proposal", mine), (end) => end.close(true))
    )
    expectTypeOf(results).toEqualTypeOf<readonly [number, "Node1" | "Node2" | "Node3", void, true]>()
    const [decision, end] = yield* next.recv("Node1", "Decision")
    return yield* end.close(decision.value)
  }))
expectTypeOf<Role.Success<typeof node3>>().toEqualTypeOf<number>()

// ---------------------------------------------------------------------------------------------
// DistributedAuction: the announcement, rounds of parallel bids and results, the outcome

type Bidder = "Bidder1" | "Bidder2" | "Bidder3"
type Announcement = { readonly item: string; readonly reserve: number; readonly increment: number }
type Bid = { readonly amount: number }
type RoundResult = { readonly round: number; readonly highest: number; readonly holder: Bidder | null }
type AuctionResult = { readonly winner: Bidder | null; readonly price: number }

type ToBidders<L extends string, P, K> = Send<"Bidder1", L, P, Send<"Bidder2", L, P, Send<"Bidder3", L, P, K>>>

expectTypeOf<Local<typeof DistributedAuction, "Auctioneer">>().toEqualTypeOf<
  ToBidders<"AuctionAnnouncement", Announcement,
    Rec<"maxRounds",
      Rounds<"maxRounds",
        Par<[
          Recv<"Bidder1", "Bid", Bid, End>,
          Recv<"Bidder2", "Bid", Bid, End>,
          Recv<"Bidder3", "Bid", Bid, End>
        ], ToBidders<"RoundResult", RoundResult, Var<"maxRounds">>>,
        ToBidders<"AuctionResult", AuctionResult, End>>>>
>()

// A bidder takes part in one branch of each round's parallel: its own bid.
type BidderLocal = Recv<"Auctioneer", "AuctionAnnouncement", Announcement,
  Rec<"maxRounds",
    Rounds<"maxRounds",
      Par<[Send<"Auctioneer", "Bid", Bid, End>], Recv<"Auctioneer", "RoundResult", RoundResult, Var<"maxRounds">>>,
      Recv<"Auctioneer", "AuctionResult", AuctionResult, End>>>>

expectTypeOf<Local<typeof DistributedAuction, "Bidder1">>().toEqualTypeOf<BidderLocal>()
expectTypeOf<Local<typeof DistributedAuction, "Bidder2">>().toEqualTypeOf<BidderLocal>()
expectTypeOf<Local<typeof DistributedAuction, "Bidder3">>().toEqualTypeOf<BidderLocal>()

// A bidder by hand: round() until done, a parallel of one branch per round.
const bidder2 = Role.program(DistributedAuction, "Bidder2", (ch) =>
  Effect.gen(function*() {
    const [announcement, c1] = yield* ch.recv("Auctioneer", "AuctionAnnouncement")
    let at = c1
    let amount = announcement.reserve
    for (;;) {
      const r = yield* at.round()
      if (r.label === "done") {
        const [result, end] = yield* r.next.recv("Auctioneer", "AuctionResult")
        return yield* end.close(result)
      }
      expectTypeOf(r.round).toEqualTypeOf<number>()
      const { next } = yield* r.next.parallel((b) => Effect.flatMap(b.send("Auctioneer", "Bid", { amount }), (end) => end.close()))
      const [result, c2] = yield* next.recv("Auctioneer", "RoundResult")
      amount = result.highest + announcement.increment
      at = c2
    }
  }))
expectTypeOf<Role.Success<typeof bidder2>>().toEqualTypeOf<AuctionResult>()

// ---------------------------------------------------------------------------------------------
// Misuse of parallel endpoints

const announcement: Announcement = { item: "lot", reserve: 1, increment: 1 }
/** The Auctioneer's branch for one bidder's bid. */
const bidOf = <const B extends Bidder>(who: B) => (b: Endpoint<Recv<B, "Bid", Bid, End>>) =>
  Effect.flatMap(b.recv(who, "Bid"), ([bid, end]) => end.close(bid.amount))

// The branch functions may be written apart, against the endpoint type of their branch.
Role.program(DistributedAuction, "Auctioneer", (ch) =>
  Effect.gen(function*() {
    const c1 = yield* ch.send("Bidder1", "AuctionAnnouncement", announcement)
    const c2 = yield* c1.send("Bidder2", "AuctionAnnouncement", announcement)
    const c3 = yield* c2.send("Bidder3", "AuctionAnnouncement", announcement)
    const r = yield* c3.round()
    if (r.label === "done") return yield* Effect.die("unreachable")
    const { results } = yield* r.next.parallel(bidOf("Bidder1"), bidOf("Bidder2"), bidOf("Bidder3"))
    expectTypeOf(results).toEqualTypeOf<readonly [number, number, number]>()
    return yield* Effect.die("unreachable")
  }))

Role.program(DistributedAuction, "Auctioneer", (ch) =>
  Effect.gen(function*() {
    // A round before the announcement has gone out.
    // expect-error: the protocol expects send AuctionAnnouncement to Bidder1 here
    yield* ch.round()
    const c1 = yield* ch.send("Bidder1", "AuctionAnnouncement", announcement)
    const c2 = yield* c1.send("Bidder2", "AuctionAnnouncement", announcement)
    const c3 = yield* c2.send("Bidder3", "AuctionAnnouncement", announcement)
    // The parallel before the round check.
    // expect-error: the protocol expects round() of 'maxRounds' here
    yield* c3.parallel()
    const r = yield* c3.round()
    if (r.label === "done") return yield* Effect.die("unreachable")
    // Receiving a bid on the endpoint of the parallel, instead of in a branch of it.
    // expect-error: the protocol expects parallel() with 3 branches here
    yield* r.next.recv("Bidder1", "Bid")
    // Sending the round's result before the bids, i.e. without the parallel and its barrier.
    // expect-error: the protocol expects parallel()
    yield* r.next.send("Bidder1", "RoundResult", { round: 1, highest: 0, holder: null })
    // Two branch functions where the Auctioneer has three branches.
    // expect-error: Expected 3 arguments, but got 2
    yield* r.next.parallel(bidOf("Bidder1"), bidOf("Bidder2"))
    // The right number, in the wrong order: the second branch is Bidder2's.
    // expect-error: is not assignable to parameter of type '(endpoint: RecvEndpoint<"Bidder2"
    yield* r.next.parallel(bidOf("Bidder1"), bidOf("Bidder3"), bidOf("Bidder2"))
    // Four where it has three.
    // expect-error: Expected 3 arguments, but got 4
    yield* r.next.parallel(bidOf("Bidder1"), bidOf("Bidder2"), bidOf("Bidder3"), bidOf("Bidder3"))
    yield* r.next.parallel(
      // Each branch is its own peer's: the first is Bidder1's.
      // expect-error: Argument of type '"Bidder2"' is not assignable to parameter of type '"Bidder1"'
      (b) => Effect.flatMap(b.recv("Bidder2", "Bid"), ([bid, end]) => end.close(bid.amount)),
      (b) => Effect.flatMap(b.recv("Bidder2", "Bid"), ([bid, end]) => end.close(bid.amount)),
      (b) => Effect.flatMap(b.recv("Bidder3", "Bid"), ([bid, end]) => end.close(bid.amount))
    )
    yield* r.next.parallel(
      (b) => Effect.flatMap(b.recv("Bidder1", "Bid"), ([bid, end]) => end.close(bid.amount)),
      // A branch that returns without close(): it must return the Done of its end.
      // expect-error: is not assignable to type 'Done<unknown>'
      (b) => Effect.map(b.recv("Bidder2", "Bid"), ([bid]) => bid.amount),
      (b) => Effect.flatMap(b.recv("Bidder3", "Bid"), ([bid, end]) => end.close(bid.amount))
    )
    return yield* Effect.die("unreachable")
  }))

Role.program(DistributedAuction, "Bidder3", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Auctioneer", "AuctionAnnouncement")
    const r = yield* c1.round()
    if (r.label === "done") return yield* Effect.die("unreachable")
    yield* r.next.parallel((b) =>
      Effect.gen(function*() {
        const end = yield* b.send("Auctioneer", "Bid", { amount: 1 })
        // Inside its branch, the bidder cannot hear the round's result: it comes after the barrier.
        // expect-error: the protocol expects close() here
        yield* end.recv("Auctioneer", "RoundResult")
        return yield* end.close()
      })
    )
    // A bid with a payload of the wrong shape.
    yield* r.next.parallel((b) =>
      // expect-error: Type 'string' is not assignable to type 'number'
      Effect.flatMap(b.send("Auctioneer", "Bid", { amount: "ten" }), (end) => end.close())
    )
    return yield* Effect.die("unreachable")
  }))

Role.program(DistributedConsensus, "Node1", (ch) =>
  Effect.gen(function*() {
    // The decision before the proposals: the parallel comes first.
    // expect-error: the protocol expects parallel() with 4 branches here
    yield* ch.send("Node2", "Decision", { value: 1, proposals: { Node1: 1, Node2: 1, Node3: 1 } })
    const { next } = yield* ch.parallel(
      (b) => Effect.flatMap(b.send("Node2", "Proposal", { proposer: "Node1", value: 1 }), (end) => end.close()),
      (b) => Effect.flatMap(b.send("Node3", "Proposal", { proposer: "Node1", value: 1 }), (end) => end.close()),
      (b) => Effect.flatMap(b.recv("Node2", "Proposal"), ([, end]) => end.close()),
      (b) => Effect.flatMap(b.recv("Node3", "Proposal"), ([, end]) => end.close())
    )
    // After the barrier, a round() where the protocol has Node1 send the decision.
    // expect-error: the protocol expects send Decision to Node2 here
    yield* next.round()
    // Another parallel after the barrier: there is only one.
    // expect-error: the protocol expects send Decision to Node2 here
    yield* next.parallel()
    return yield* Effect.die("unreachable")
  }))

// A generated Node1 must say how it makes the Decision, not only its proposal.
Role.implement(DistributedConsensus, "Node1", {
  // expect-error: Property 'Decision' is missing in type
  send: { Proposal: () => ({ proposer: "Node1" as const, value: 1 }) }
}, null)

// A generated bidder has no Bid to receive: it only sends one.
Role.implement(DistributedAuction, "Bidder1", {
  send: { Bid: () => ({ amount: 1 }) },
  // expect-error: 'Bid' does not exist in type
  recv: { Bid: (s: null) => s }
}, null)
