/**
 * Bounded model checking (`Check.model`) of every example protocol at k = 2: the outcome, the
 * states and transitions explored, and the time (the median of RUNS runs, after one to warm
 * up). The goal is under 1 s per example. `npm run bench:model`.
 */
import { Check, type Protocol } from "../src/index.js"
import { Acknowledgment, AdaptiveSync, DeltaSynchronization, FullSynchronization } from "../examples/adaptive-sync.js"
import { CompensatingTransaction } from "../examples/compensating-transaction.js"
import { DistributedAuction } from "../examples/distributed-auction.js"
import { DistributedConsensus } from "../examples/distributed-consensus.js"
import { Consensus, HierarchicalConsensus } from "../examples/hierarchical-consensus.js"
import { RobustRequest } from "../examples/robust-request.js"
import { Authentication, DataTransfer, KeyExchange, SecureDataTransfer } from "../examples/secure-data-transfer.js"
import { DataStreaming } from "../examples/streaming.js"
import { Deal } from "../examples/three-party.js"
import { TwoPhaseCommit } from "../examples/two-phase-commit.js"

const RUNS = Number(process.env.RUNS ?? 5)
const bound = Number(process.env.K ?? 2)

const examples: ReadonlyArray<Protocol.Any> = [
  TwoPhaseCommit, DataStreaming, Deal, Authentication, KeyExchange, DataTransfer, SecureDataTransfer,
  FullSynchronization, DeltaSynchronization, Acknowledgment, AdaptiveSync, Consensus, HierarchicalConsensus,
  DistributedConsensus, DistributedAuction, RobustRequest, CompensatingTransaction
]

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

console.log(`Check.model, k = ${bound}, median of ${RUNS} runs (node ${process.version})\n`)
console.log("| protocol | outcome | states | transitions | time (ms) |")
console.log("| --- | --- | ---: | ---: | ---: |")
let slowest = 0
for (const p of examples) {
  Check.model(p, { bound })
  const times: Array<number> = []
  let last = Check.model(p, { bound })
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    last = Check.model(p, { bound })
    times.push(performance.now() - t0)
  }
  if (last._tag === "Unsupported") {
    console.log(`| ${p.name} | unsupported (${last.construct}) | | | |`)
    continue
  }
  const ms = median(times)
  slowest = Math.max(slowest, ms)
  console.log(`| ${p.name} | ${last._tag} | ${last.states} | ${last.transitions} | ${ms.toFixed(2)} |`)
}
console.log(`\nslowest: ${slowest.toFixed(2)} ms (goal: < 1000 ms per example)`)
