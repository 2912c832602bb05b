import { it } from "@effect/vitest"
import { Cause, Effect, Either, Exit } from "effect"
import { describe, expect } from "vitest"
import { roleEventTags, type TraceEvent } from "../src/effects/TraceSink.js"
import * as Trace from "../src/testing/Trace.js"
import { type Simulation, simulateEffect } from "../src/testing/simulate.js"
import { type ExampleRun, runs } from "./fixtures/runs.js"

/** The example's results, as far as they must agree between runs. */
const outcomeOf = (run: ExampleRun, exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isFailure(exit)) throw new Error(`${run.name} failed: ${Cause.pretty(exit.cause)}`)
  return run.outcome === undefined ? exit.value : run.outcome(exit.value)
}

/** The events of a trace, one session at a time (an example may run several sessions). */
const bySession = (trace: ReadonlyArray<TraceEvent>): Map<string, Array<TraceEvent>> => {
  const out = new Map<string, Array<TraceEvent>>()
  for (const e of trace) {
    const list = out.get(e.session) ?? []
    list.push(e)
    out.set(e.session, list)
  }
  return out
}

const expectValid = (run: ExampleRun, sim: Simulation<unknown, unknown>) => {
  const sessions = bySession(sim.trace)
  expect(sessions.size).toBeGreaterThan(0)
  for (const [, events] of sessions) {
    const r = Trace.validate(run.protocol, events, { params: run.params })
    if (Either.isLeft(r)) throw new Error(`${run.name} (seed ${sim.seed}): ${r.left.message}`)
  }
}

/** The order in which roles acted: what the seed decides. */
const order = (trace: ReadonlyArray<TraceEvent>) =>
  trace.filter((e) => roleEventTags.has(e._tag)).map((e) => `${e._tag} ${e.role} ${e.label}`).join("\n")

/** The runs in which some roles act concurrently (in the others, one role acts at a time). */
const concurrent = new Set(["Deal (no sale)", "DistributedConsensus", "DistributedAuction", "HierarchicalConsensus", "DistributedAuctionFamily", "DistributedConsensusFamily"])

const chaos = { drop: 0.1, duplicate: 0.05, delay: { min: 0, max: "20 millis" }, reorder: 0.1 } as const

describe("simulate: the deterministic network", () => {
  for (const run of runs) {
    it.effect(`${run.name}: the same seed gives the same trace, event for event (100 seeds)`, () =>
      Effect.gen(function*() {
        const expected = outcomeOf(run, yield* Effect.exit(run.run))
        const orders = new Set<string>()
        for (let seed = 0; seed < 100; seed++) {
          const a = yield* simulateEffect(run.run, { seed })
          const b = yield* simulateEffect(run.run, { seed })
          expect(a.trace.length).toBeGreaterThan(0)
          expect(b.trace).toEqual(a.trace)
          expect(b.delivered).toBe(a.delivered)
          expect(outcomeOf(run, a.exit)).toEqual(expected)
          expectValid(run, a)
          orders.add(order(a.trace))
        }
        // Where roles act concurrently, the seed changes the interleaving.
        if (concurrent.has(run.name)) expect(orders.size).toBeGreaterThan(1)
      }))
  }

  it.effect("different seeds give different interleavings of a three-party session", () =>
    Effect.gen(function*() {
      const run = runs.find((r) => r.name === "DistributedConsensus")!
      const a = yield* simulateEffect(run.run, { seed: 1 })
      const orders = new Set<string>()
      for (let seed = 0; seed < 20; seed++) orders.add(order((yield* simulateEffect(run.run, { seed })).trace))
      expect(orders.size).toBeGreaterThan(5)
      expect(a.time).toBe(0) // no delays: the network takes no virtual time
    }))
})

describe("simulate: chaos over the reliable layer", () => {
  for (const run of runs) {
    it.effect(`${run.name}: 200 seeds under chaos complete with the fault-free results, their traces validate and replay`, () =>
      Effect.gen(function*() {
        const expected = outcomeOf(run, yield* Effect.exit(run.run))
        const faults = { Drop: 0, Duplicate: 0, Retransmit: 0 }
        for (let seed = 0; seed < 200; seed++) {
          const sim = yield* simulateEffect(run.run, { seed, chaos, reliable: true })
          expect(outcomeOf(run, sim.exit)).toEqual(expected)
          expectValid(run, sim)
          // Faults, retransmissions and virtual times included, the same seed gives the same trace.
          if (seed < 10) expect((yield* simulateEffect(run.run, { seed, chaos, reliable: true })).trace).toEqual(sim.trace)
          for (const e of sim.trace) if (e._tag in faults) faults[e._tag as keyof typeof faults]++
        }
        // The chaos did strike, and the reliable layer made up for it.
        expect(faults.Drop).toBeGreaterThan(0)
        expect(faults.Duplicate).toBeGreaterThan(0)
        expect(faults.Retransmit).toBeGreaterThan(0)
      }), 60_000)
  }
})
