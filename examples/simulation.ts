/**
 * The testing toolkit on the examples: the seed guide's "Testing Distributed Protocols", run.
 *
 * - `simulate` runs a session on the deterministic network: the seed picks which pending
 *   message is delivered next, so every seed is one interleaving, replayable at will;
 * - under chaos (lost, duplicated, delayed and reordered messages) the reliable layer makes
 *   the session end as it would without faults, in virtual time;
 * - without the reliable layer, the same chaos makes the session fail with a typed error
 *   (here a `Timeout`), never hang;
 * - every trace is checked against the global protocol with `Trace.validate`.
 *
 * Run with `npx tsx examples/simulation.ts`.
 */
import { Cause, Chunk, Effect, Either, Exit } from "effect"
import { simulate, type Simulation, Trace } from "../src/testing/index.js"
import * as Consensus from "./distributed-consensus.js"
import * as TwoPhaseCommit from "./two-phase-commit.js"

const roles = { Coordinator: TwoPhaseCommit.coordinator(7), Participant: TwoPhaseCommit.participant("commit") }

/** A tenth of the messages lost, one in twenty duplicated, all delayed up to 20 ms, some reordered. */
export const chaos = { drop: 0.1, duplicate: 0.05, delay: { min: "0 millis", max: "20 millis" }, reorder: 0.1 } as const

const faults = (sim: Simulation<unknown, unknown>) => {
  const count = (tag: string) => sim.trace.filter((e) => e._tag === tag).length
  return `${count("Drop")} dropped, ${count("Duplicate")} duplicated, ${count("Retransmit")} retransmitted`
}

const failure = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit)
    ? Chunk.toArray(Cause.failures(exit.cause)).map((e) => (e as { readonly message?: string }).message ?? String(e)).join("; ")
    : "none"

export const main = Effect.gen(function*() {
  // One seed, one interleaving: the same seed gives the same trace, event for event.
  const a = yield* simulate(TwoPhaseCommit.TwoPhaseCommit, roles, { seed: 42 })
  const b = yield* simulate(TwoPhaseCommit.TwoPhaseCommit, roles, { seed: 42 })
  const results = yield* a.exit
  const same = JSON.stringify(a.trace) === JSON.stringify(b.trace)
  const valid = Either.isRight(Trace.validate(TwoPhaseCommit.TwoPhaseCommit, a.trace))

  // Seeds explore the interleavings of three nodes proposing in parallel.
  const orders = new Set<string>()
  for (let seed = 0; seed < 50; seed++) {
    const nodes = { Node1: Consensus.node1(4), Node2: Consensus.node2(7), Node3: Consensus.node3(4) }
    const sim = yield* simulate(Consensus.DistributedConsensus, nodes, { seed })
    orders.add(sim.trace.filter((e) => e._tag === "Receive").map((e) => `${e.peer}>${e.role}`).join(" "))
  }

  // Chaos over the reliable layer: the same outcome, in virtual time.
  const reliable = yield* simulate(TwoPhaseCommit.TwoPhaseCommit, roles, { seed: 7, chaos, reliable: true })
  const reliableResults = yield* reliable.exit

  // The same chaos without it: lost messages end in a Timeout that says what was missing.
  const lossy = yield* simulate(TwoPhaseCommit.TwoPhaseCommit, roles, {
    seed: 7,
    chaos: { ...chaos, drop: 0.5 },
    receiveTimeout: "5 seconds"
  })

  return {
    deterministic: { outcome: results.Coordinator.outcome, sameTraceForSameSeed: same, traceValid: valid },
    interleavings: { seeds: 50, distinctOrdersOfReceives: orders.size },
    chaosOverReliable: {
      outcome: reliableResults.Coordinator.outcome,
      faults: faults(reliable),
      virtualMillis: reliable.time,
      traceValid: Either.isRight(Trace.validate(TwoPhaseCommit.TwoPhaseCommit, reliable.trace)),
      trace: reliable.trace
    },
    chaosWithoutReliable: { failed: Exit.isFailure(lossy.exit), error: failure(lossy.exit), virtualMillis: lossy.time }
  }
})

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main).then((r) => console.log(JSON.stringify({ ...r, chaosOverReliable: { ...r.chaosOverReliable, trace: undefined } }, null, 2)))
}
