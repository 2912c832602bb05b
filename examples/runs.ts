/**
 * One session of every example, with its protocol, session parameters and a title: what
 * `npm run demo` runs and prints, and what the trace, simulation, chaos and diagram tests run.
 */
import { Effect } from "effect"
import { Protocol, Session } from "../src/index.js"
import type { Any } from "../src/protocol/Protocol.js"
import * as Adaptive from "./adaptive-sync.js"
import * as Auction from "./distributed-auction.js"
import * as AuctionFamily from "./distributed-auction-family.js"
import * as Consensus from "./distributed-consensus.js"
import * as ConsensusFamily from "./distributed-consensus-family.js"
import * as HandWritten from "./hand-written.js"
import * as Hierarchical from "./hierarchical-consensus.js"
import * as Secure from "./secure-data-transfer.js"
import * as Streaming from "./streaming.js"
import * as ThreeParty from "./three-party.js"
import * as TwoPhaseCommit from "./two-phase-commit.js"

export const auction: Auction.Auction = {
  announcement: { item: "a harpsichord", reserve: 100, increment: 10 },
  strategies: {
    Bidder1: { budget: 180, step: 10 },
    Bidder2: { budget: 250, step: 25 },
    Bidder3: { budget: 90, step: 50 }
  }
}

export interface ExampleRun {
  /** A short name, unique among the runs (test names and file names come from it). */
  readonly name: string
  /** What the run shows, for the demo. */
  readonly title: string
  readonly protocol: Any
  /** Runs one session over the `Transport` in context (in memory when there is none). */
  readonly run: Effect.Effect<unknown, unknown>
  readonly params?: Readonly<Record<string, number>>
  /**
   * What must be the same in every run, whatever order the network delivers in: the results,
   * less what depends on arrival order or on fresh randomness (keys, nonces). Default: all of it.
   */
  readonly outcome?: (results: any) => unknown
  /**
   * Names of result fields that hold key material: the demo prints a short fingerprint of
   * them, never the key itself.
   */
  readonly secrets?: ReadonlyArray<string>
}

const sortedKeys = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)))

/** A consensus node's result, less the order it heard the others in. */
const consensusOutcome = (results: Record<string, { readonly seen: Record<string, unknown>; readonly seenAtDecision: ReadonlyArray<string> }>) =>
  Object.fromEntries(
    Object.entries(results).map(([node, r]) => [node, { ...r, seen: sortedKeys(r.seen), seenAtDecision: [...r.seenAtDecision].sort() }])
  )

/**
 * A session's results with each family's list spread into one result per member, keyed by
 * the member's role in the expanded protocol (`Bidder[0]`, ...), like every other run's.
 */
const perMember = (results: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(results).flatMap(([role, r]) => Array.isArray(r) ? r.map((m, i) => [`${role}[${i}]`, m]) : [[role, r]]))

/** An auction with a family of bidders, less the order each round's bids arrived in. */
const auctionFamilyOutcome = (results: Record<string, Record<string, unknown>>) => ({
  ...results,
  Auctioneer: { ...results.Auctioneer, bids: (results.Auctioneer.bids as ReadonlyArray<Record<string, unknown>>).map(sortedKeys) }
})

/** A consensus with a family of nodes, less the order the proposals and decisions arrived in. */
const consensusFamilyOutcome = (results: Record<string, Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(results).map(([role, r]) => [role, role === "Client" ? { decisions: sortedKeys(r.decisions as Record<string, unknown>) } : { ...r, seen: sortedKeys(r.seen as Record<string, unknown>) }]))

/** The fields of a secure transfer's results that hold keys. */
const secureSecrets = ["privateKey", "publicKey", "key"]

/** A secure transfer's result, less its fresh keys and nonces: whether both ends agree on the key instead. */
const secureOutcome = (results: { readonly Alice: Record<string, unknown>; readonly Bob: Record<string, unknown> }) => {
  const { key: aliceKey, nonce: _n, privateKey: _p, publicKey: _q, sessionId: _s, ...alice } = results.Alice
  const { key: bobKey, ...bob } = results.Bob
  return { Alice: alice, Bob: bob, keysAgree: aliceKey === bobKey }
}

export const runs: ReadonlyArray<ExampleRun> = [
  { name: "TwoPhaseCommit (commit)", title: "TwoPhaseCommit, the participant votes commit", protocol: TwoPhaseCommit.TwoPhaseCommit, run: TwoPhaseCommit.main("commit") },
  { name: "TwoPhaseCommit (abort)", title: "TwoPhaseCommit, the participant votes abort", protocol: TwoPhaseCommit.TwoPhaseCommit, run: TwoPhaseCommit.main("abort") },
  { name: "DataStreaming", title: "DataStreaming, three chunks", protocol: Streaming.DataStreaming, run: Streaming.main(["a", "b", "c"]) },
  { name: "Deal (sale)", title: "Deal (three parties), a book within budget", protocol: ThreeParty.Deal, run: ThreeParty.main("book", 50) },
  { name: "Deal (no sale)", title: "Deal (three parties), a piano over budget", protocol: ThreeParty.Deal, run: ThreeParty.main("piano", 50) },
  {
    name: "DistributedConsensus", title: "DistributedConsensus (parallel proposals, barrier, decision)",
    protocol: Consensus.DistributedConsensus,
    run: Consensus.main({ Node1: 4, Node2: 7, Node3: 4 }),
    outcome: consensusOutcome
  },
  {
    name: "DistributedAuction", title: "DistributedAuction (broadcast, 3 rounds of parallel bids, a result per round)",
    protocol: Auction.DistributedAuction,
    run: Auction.main(auction, 3),
    params: { maxRounds: 3 }
  },
  { name: "SecureDataTransfer (accepted)", title: "SecureDataTransfer (compose Authentication, KeyExchange, DataTransfer), right password", protocol: Secure.SecureDataTransfer, run: Secure.main("correct horse"), outcome: secureOutcome, secrets: secureSecrets },
  { name: "SecureDataTransfer (rejected)", title: "SecureDataTransfer, wrong password: the protocol ends after Authentication", protocol: Secure.SecureDataTransfer, run: Secure.main("battery staple"), outcome: secureOutcome, secrets: secureSecrets },
  { name: "AdaptiveSync (full)", title: "AdaptiveSync (conditional composition), client at version 0: full synchronisation", protocol: Adaptive.AdaptiveSync, run: Adaptive.main(0) },
  { name: "AdaptiveSync (delta)", title: "AdaptiveSync, client at version 5: delta synchronisation", protocol: Adaptive.AdaptiveSync, run: Adaptive.main(5) },
  {
    name: "TwoPhaseCommit (hand-written Participant)", title: "TwoPhaseCommit with a hand-written Participant (Role.program)",
    protocol: TwoPhaseCommit.TwoPhaseCommit,
    run: Session.run(TwoPhaseCommit.TwoPhaseCommit, {
      Coordinator: TwoPhaseCommit.coordinator(42),
      Participant: HandWritten.participant
    })
  },
  {
    name: "DataStreaming (hand-written Consumer)", title: "DataStreaming with a hand-written Consumer (Role.program)",
    protocol: Streaming.DataStreaming,
    run: Session.run(Streaming.DataStreaming, {
      Producer: Streaming.producer("by-hand", ["typed ", "linear ", "endpoints"]),
      Consumer: HandWritten.consumer
    })
  },
  {
    name: "DistributedAuctionFamily", title: "DistributedAuction with a family of 4 bidders (broadcast, gather, 3 rounds)",
    protocol: Protocol.expand(AuctionFamily.DistributedAuctionFamily, { Bidder: 4 }),
    run: Effect.map(AuctionFamily.main(auction.announcement, AuctionFamily.strategies(4), 3), perMember),
    params: { Bidder: 4, maxRounds: 3 },
    outcome: auctionFamilyOutcome
  },
  {
    name: "DistributedConsensusFamily", title: "DistributedConsensus with a family of 5 nodes (exchange, gather, broadcast)",
    protocol: Protocol.expand(ConsensusFamily.DistributedConsensusFamily, { Node: 5 }),
    run: Effect.map(ConsensusFamily.main([4, 7, 4, 1, 4]), perMember),
    params: { Node: 5 },
    outcome: consensusFamilyOutcome
  },
  {
    name: "HierarchicalConsensus", title: "HierarchicalConsensus (Consensus composed twice, cross-level messages)",
    protocol: Hierarchical.HierarchicalConsensus,
    run: Hierarchical.main({ Leader: 5, Replica1: 5, Replica2: 9, SubLeader: 3, SubReplica1: 7, SubReplica2: 4 })
  }
]
