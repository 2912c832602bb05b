/**
 * Every example session, run durably (`Role.resume` on memory `Storage`), crashed at every
 * commit of every role, both ways (`"before-send"`: right after the checkpoint is written,
 * before its frames go out; `"after-commit"`: once the commit is done), must end as it ends
 * without a crash: the same result for every role.
 *
 * For each example and network, a run without a crash counts each role's commits (N_r); then,
 * for every role r, every k in 1..N_r and both `when`s, a run crashes r at commit k (and the
 * crash must have happened). The networks: the in-memory transport, and the deterministic
 * simulator with two seeds (virtual time). RobustRequest waits on a 30 s clock (the Server's
 * work takes 10 s, 29 s or for ever): it runs on the simulator only, where that takes no real time.
 *
 * Results are compared as the examples' `outcome` says (examples/runs.ts): DistributedConsensus
 * less the order the proposals came in, SecureDataTransfer less its fresh keys and nonces; and
 * CompensatingTransaction less whether a service took its commit before it was told to
 * compensate (a race the example has without any crash). SecureDataTransfer's Bob draws his
 * nonce and session id at random, so a resumed Bob must fail with `ReplayDivergence` (unless
 * he had ended).
 *
 * Each crash-free durable run is also checked against `Session.run` on the same network.
 *
 * The hand-written programs of examples/hand-written.ts are in Programs.test.ts.
 */
import { Duration, Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { Memory, Role, Session, type Transport } from "../../src/index.js"
import type { Any } from "../../src/protocol/Protocol.js"
import { simulateEffect, type SimulateOptions } from "../../src/testing/index.js"
import * as Adaptive from "../../examples/adaptive-sync.js"
import * as Compensating from "../../examples/compensating-transaction.js"
import * as Auction from "../../examples/distributed-auction.js"
import * as Consensus from "../../examples/distributed-consensus.js"
import * as Hierarchical from "../../examples/hierarchical-consensus.js"
import * as RobustRequest from "../../examples/robust-request.js"
import { auction, runs } from "../../examples/runs.js"
import * as Secure from "../../examples/secure-data-transfer.js"
import * as Streaming from "../../examples/streaming.js"
import * as ThreeParty from "../../examples/three-party.js"
import * as TwoPhaseCommit from "../../examples/two-phase-commit.js"
import { type Crash, crashPoints, describeFailure, type DurableRun, guarded, runDurable, valueOf } from "../fixtures/durable.js"

/** Implementations `Role.resume` takes: the type says every one of them is resumable. */
type Impls = Readonly<Record<string, Role.Resumable<Any, string, unknown, unknown, never>>>

interface Example {
  readonly name: string
  readonly protocol: Any
  readonly impls: Impls
  readonly params?: Record<string, number>
  /** What must be the same however the network delivers (examples/runs.ts); default: all of it. */
  readonly outcome?: (results: any) => unknown
  /** Its roles wait on the clock for long: run on the simulator (virtual time) only. */
  readonly simulatedOnly?: boolean
  /** Chaos on the simulated network (RobustRequest's late answer: every frame takes 2 s). */
  readonly chaos?: SimulateOptions["chaos"]
  /**
   * A role that cannot be replayed: a program whose sends depend on what it draws afresh
   * (random numbers). A run where it crashed either fails with its `ReplayDivergence` (it was
   * resumed) or ends as without a crash (it had ended before the crash took effect).
   */
  readonly divergent?: string
}

const outcomeOf = (name: string) => runs.find((r) => r.name === name)!.outcome!

/**
 * A saga's results, less whether a service took its commit before it was told to compensate:
 * when the Coordinator fails after sending CommitReservation (or CommitAllocation), that frame
 * (on the forward part's lane) and the verdict (on the saga's lane) race, and either may come
 * first, crash or no crash (the simulator without `Role.resume` gives both, by seed).
 */
const sagaOutcome = (results: { readonly [role: string]: unknown }) => {
  const settled = (s: Compensating.Service) =>
    s.log.some((l) => l.startsWith("released")) ? { ...s, log: s.log.filter((l) => l !== "committed") } : s
  return { ...results, ServiceA: settled(results.ServiceA as Compensating.Service), ServiceB: settled(results.ServiceB as Compensating.Service) }
}

const examples: ReadonlyArray<Example> = [
  // two-phase-commit.ts main; simulation.ts, untrusted-input.ts and robust-coordinator.ts run transaction 7
  { name: "TwoPhaseCommit (commit)", protocol: TwoPhaseCommit.TwoPhaseCommit, impls: { Coordinator: TwoPhaseCommit.coordinator(12345), Participant: TwoPhaseCommit.participant("commit") } },
  { name: "TwoPhaseCommit (abort)", protocol: TwoPhaseCommit.TwoPhaseCommit, impls: { Coordinator: TwoPhaseCommit.coordinator(12345), Participant: TwoPhaseCommit.participant("abort") } },
  { name: "TwoPhaseCommit (transaction 7)", protocol: TwoPhaseCommit.TwoPhaseCommit, impls: { Coordinator: TwoPhaseCommit.coordinator(7), Participant: TwoPhaseCommit.participant("commit") } },
  // streaming.ts main, and runs.ts
  { name: "DataStreaming (four chunks)", protocol: Streaming.DataStreaming, impls: { Producer: Streaming.producer("stream-1", ["Quadrille ", "streams ", "in ", "order"]), Consumer: Streaming.consumer } },
  { name: "DataStreaming (three chunks)", protocol: Streaming.DataStreaming, impls: { Producer: Streaming.producer("stream-1", ["a", "b", "c"]), Consumer: Streaming.consumer } },
  // three-party.ts
  ...[["sale", "book"], ["no sale", "piano"]].map(([what, item]): Example => ({
    name: `Deal (${what})`,
    protocol: ThreeParty.Deal,
    impls: { Buyer: ThreeParty.buyer(item, 50), Seller: ThreeParty.seller, Shipper: ThreeParty.shipper }
  })),
  // distributed-consensus.ts (parallel proposals, a barrier, a broadcast)
  ...[{ Node1: 4, Node2: 7, Node3: 4 }, { Node1: 3, Node2: 9, Node3: 5 }].map((p): Example => ({
    name: `DistributedConsensus (${p.Node1}, ${p.Node2}, ${p.Node3})`,
    protocol: Consensus.DistributedConsensus,
    impls: { Node1: Consensus.node1(p.Node1), Node2: Consensus.node2(p.Node2), Node3: Consensus.node3(p.Node3) },
    outcome: outcomeOf("DistributedConsensus")
  })),
  // distributed-auction.ts (repeat of a session parameter, parallel bids; the Auctioneer is a program)
  ...[1, 3, 6].map((maxRounds): Example => ({
    name: `DistributedAuction (${maxRounds} rounds)`,
    protocol: Auction.DistributedAuction,
    impls: Auction.roles(auction),
    params: { maxRounds }
  })),
  // secure-data-transfer.ts (three composed sub-protocols; Bob is a program)
  ...[["accepted", "correct horse"], ["rejected", "battery staple"]].map(([what, password]): Example => ({
    name: `SecureDataTransfer (${what})`,
    protocol: Secure.SecureDataTransfer,
    impls: { Alice: Secure.alice("alice", password, "the quadrille is danced by four couples"), Bob: Secure.bob({ alice: "correct horse" }) },
    outcome: outcomeOf("SecureDataTransfer (accepted)"),
    // Bob draws his nonce and the session id with node:crypto: replayed, he sends another Challenge.
    divergent: "Bob"
  })),
  // adaptive-sync.ts (a choice of composed sub-protocols, one with a loop)
  ...[[0, true], [5, true], [5, false], [9, true]].map(([version, delta]): Example => ({
    name: `AdaptiveSync (client at ${version}${delta ? "" : ", no delta"})`,
    protocol: Adaptive.AdaptiveSync,
    impls: { Client: Adaptive.client(Adaptive.clientStart(version as number, delta as boolean)), Server: Adaptive.server() }
  })),
  // hierarchical-consensus.ts (the SubLeader is a program)
  ...[[{ Leader: 5, Replica1: 5, Replica2: 9, SubLeader: 3, SubReplica1: 7, SubReplica2: 4 }, 1], [{ Leader: 1, Replica1: 8, Replica2: 8, SubLeader: 2, SubReplica1: 2, SubReplica2: 6 }, 2]].map(
    ([v, term]): Example => {
      const values = v as Hierarchical.Preferences
      return {
        name: `HierarchicalConsensus (term ${term})`,
        protocol: Hierarchical.HierarchicalConsensus,
        impls: {
          Leader: Hierarchical.leader(term as number, values.Leader),
          Replica1: Hierarchical.replica1(values.Replica1),
          Replica2: Hierarchical.replica2(values.Replica2),
          SubLeader: Hierarchical.subLeader(term as number, values.SubLeader),
          SubReplica1: Hierarchical.subReplica1(values.SubReplica1),
          SubReplica2: Hierarchical.subReplica2(values.SubReplica2)
        }
      }
    }
  ),
  // compensating-transaction.ts (a saga; a failure at each step of its forward part)
  ...[undefined, ...Compensating.forwardSteps].map((failAt): Example => ({
    name: `CompensatingTransaction (${failAt ?? "no failure"})`,
    protocol: Compensating.CompensatingTransaction,
    impls: { Coordinator: Compensating.coordinator("r-42", failAt), ServiceA: Compensating.serviceA(failAt), ServiceB: Compensating.serviceB(failAt) },
    outcome: sagaOutcome
  })),
  // robust-request.ts cases (a 30 s timeout): on the simulator only
  { name: "RobustRequest (in time)", protocol: RobustRequest.RobustRequest, impls: { Client: RobustRequest.client("hello"), Server: RobustRequest.server(Effect.sleep("10 seconds")) }, simulatedOnly: true },
  {
    name: "RobustRequest (late)",
    protocol: RobustRequest.RobustRequest,
    impls: { Client: RobustRequest.client("hello"), Server: RobustRequest.server(Effect.sleep("29 seconds")) },
    simulatedOnly: true,
    chaos: { delay: { min: Duration.millis(2000), max: Duration.millis(2000) } }
  },
  { name: "RobustRequest (never)", protocol: RobustRequest.RobustRequest, impls: { Client: RobustRequest.client("hello"), Server: RobustRequest.server(Effect.never) }, simulatedOnly: true }
]

// ---------------------------------------------------------------------------------------------
// Networks

interface Network {
  readonly name: string
  readonly simulated: boolean
  readonly run: <A>(example: Example, effect: Effect.Effect<A, unknown, Transport>) => Promise<Exit.Exit<A, unknown>>
}


const memory: Network = {
  name: "memory",
  simulated: false,
  run: (example, effect) => guarded(example.name, 1000, effect.pipe(Effect.provide(Memory.layer)))
}

/** The simulator sees a deadlock itself (no frame in flight, no timer set); the guard is for a run that never stops. */
const simulator = (seed: number): Network => ({
  name: `simulator (seed ${seed})`,
  simulated: true,
  run: (example, effect) =>
    guarded(example.name, 5000, Effect.flatMap(simulateEffect(effect, { seed, chaos: example.chaos }), (sim) => sim.exit))
})

const networks: ReadonlyArray<Network> = [memory, simulator(1), simulator(42)]

const durably = (example: Example, crash?: Crash) =>
  runDurable(example.protocol, example.impls, { sessionId: "every-step", crash, params: example.params })

/** The session as it runs without `Role.resume` (`Session.run`), on the same network. */
const plainly = (example: Example) =>
  Session.run(example.protocol, example.impls as never, { sessionId: "plain", params: example.params }) as Effect.Effect<Record<string, unknown>, unknown, Transport>


// ---------------------------------------------------------------------------------------------
// The runs without a crash, first: they say how many commits each role makes.

interface Baseline {
  readonly example: Example
  readonly network: Network
  readonly run: Exit.Exit<DurableRun, unknown>
}

const baselines: Array<Baseline> = []
for (const network of networks) {
  for (const example of examples) {
    if (example.simulatedOnly && !network.simulated) continue
    baselines.push({ example, network, run: await network.run(example, durably(example)) })
  }
}

/** Every crash case, for the tally at the end. */
let casesRun = 0
let casesPassed = 0

for (const network of networks) {
  describe(`every example, crashed at every commit, on ${network.name}`, () => {
    for (const { example, run } of baselines.filter((b) => b.network === network)) {
      const outcome = example.outcome ?? ((r: unknown) => r)
      describe(example.name, () => {
        it("runs durably without a crash as Session.run does", async () => {
          const durable = valueOf(run)
          expect(durable.crashed).toBe(false)
          const plain = valueOf(await network.run(example, plainly(example)))
          expect(outcome(durable.results)).toEqual(outcome(plain))
        })
        if (Exit.isFailure(run)) return
        const baseline = run.value
        for (const { role, at, when } of crashPoints(example.protocol.roles, baseline.commits)) {
          it(`${role} crashes ${when} at commit ${at} of ${baseline.commits[role]}`, async () => {
            casesRun++
            const exit = await network.run(example, durably(example, { role, at, when }))
            if (role === example.divergent && Exit.isFailure(exit)) {
              // Resumed, its replay must be refused (a run that ends well is one where it had ended before the crash took effect).
              expect(describeFailure(exit.cause)).toMatch(new RegExp(`ReplayDivergence: ${role} of ${example.protocol.name}`))
              casesPassed++
              return
            }
            const crashed = valueOf(exit)
            expect(crashed.crashed, "the crash happened").toBe(true)
            const expected = outcome(baseline.results)
            const actual = outcome(crashed.results)
            expect(actual, `results after the crash: ${JSON.stringify(actual)}\nwithout a crash: ${JSON.stringify(expected)}`).toEqual(expected)
            casesPassed++
          })
        }
      })
    }
  })
}

describe("tally", () => {
  it("prints how many crash cases ran and passed", () => {
    const commits = baselines.filter((b) => Exit.isSuccess(b.run)).map((b) => [b.network.name, b.example.name, (b.run as Exit.Success<DurableRun, unknown>).value.commits] as const)
    console.log(`crash cases: ${casesRun} run, ${casesPassed} passed, ${casesRun - casesPassed} failed`)
    console.log(commits.map(([n, e, c]) => `${n} | ${e} | ${JSON.stringify(c)}`).join("\n"))
  })
})
