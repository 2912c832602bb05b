/**
 * Property-based tests on the deterministic network: generated protocols (choices, loops,
 * compositions, broadcasts, rounds, parallels) with generated implementations, simulated
 * under random seeds. Without faults every run completes, passes the replay oracle and its
 * trace validates. Under chaos with the reliable layer the same holds. Under chaos without
 * it, every run ends — completes, or fails with a typed error — within a virtual-time bound
 * (and, over the in-memory transport, within a bound of `TestClock` time): no run hangs.
 */
import { Cause, Chunk, Effect, Either, Exit, Fiber, Layer, Option, TestClock, TestContext } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Chaos from "../src/handlers/chaos.js"
import * as Memory from "../src/handlers/memory.js"
import { Session } from "../src/index.js"
import {
  faultPlan,
  type Generated,
  implementAll,
  mergeableProtocol,
  type RoleState,
  toCode,
  verifyRun,
  wellFormedProtocol
} from "../src/testing/arbitrary/index.js"
import { simulate } from "../src/testing/simulate.js"
import * as Trace from "../src/testing/Trace.js"
import { decisions } from "./fixtures/property.js"

const protocols = fc.oneof(wellFormedProtocol(), mergeableProtocol())
const seeds = fc.integer({ min: 0, max: 0x7fffffff })
/** A protocol and a fault plan over its roles (partitions included). */
const underChaos = protocols.chain((g) => fc.tuple(fc.constant(g), faultPlan({ roles: g.tree.roles, maxDelay: 30 })))

/** The errors a session may fail with when the network misbehaves (no defect, no other error). */
const networkErrors = new Set(["Timeout", "TransportError", "ProtocolViolation"])

const context = (g: Generated, seed: number, extra = "") => `\n${toCode(g.tree)}\nseed: ${seed}${extra}`

const expectTypedFailure = (cause: Cause.Cause<unknown>, where: () => string) => {
  const failures = Chunk.toArray(Cause.failures(cause)) as ReadonlyArray<{ readonly _tag?: string }>
  if (Chunk.size(Cause.defects(cause)) > 0 || failures.length === 0) {
    throw new Error(`the session did not fail with a typed error: ${Cause.pretty(cause)}${where()}`)
  }
  for (const f of failures) {
    if (!networkErrors.has(f._tag ?? "")) throw new Error(`unexpected error ${f._tag}: ${Cause.pretty(cause)}${where()}`)
  }
}

describe("simulate: generated protocols", () => {
  it("complete on the deterministic network under any seed: the replay oracle holds and the trace validates", async () => {
    await fc.assert(
      fc.asyncProperty(protocols, decisions, seeds, async (g, ds, seed) => {
        const { implementations, log } = implementAll(g, ds)
        const sim = await Effect.runPromise(simulate(g.protocol, implementations, { seed, params: g.tree.params }))
        if (Exit.isFailure(sim.exit)) throw new Error(`the session failed: ${Cause.pretty(sim.exit.cause)}${context(g, seed)}`)
        const wrong = verifyRun(g, log, sim.exit.value as Readonly<Record<string, RoleState>>)
        if (wrong !== undefined) throw new Error(`${wrong}${context(g, seed)}`)
        const valid = Trace.validate(g.protocol, sim.trace, { params: g.tree.params })
        if (Either.isLeft(valid)) throw new Error(`${valid.left.message}${context(g, seed)}`)
      }),
      { numRuns: 300 }
    )
  }, 60_000)

  it("complete under chaos over the reliable layer (partitions included), with the same oracle and a valid trace", async () => {
    const dropped = { chaos: 0, partition: 0 }
    await fc.assert(
      fc.asyncProperty(underChaos, decisions, seeds, async ([g, faults], ds, seed) => {
        const { implementations, log } = implementAll(g, ds)
        const sim = await Effect.runPromise(
          simulate(g.protocol, implementations, { seed, params: g.tree.params, chaos: faults, reliable: true })
        )
        const where = () => context(g, seed, `\nchaos: ${JSON.stringify(faults)}`)
        if (Exit.isFailure(sim.exit)) throw new Error(`the session failed: ${Cause.pretty(sim.exit.cause)}${where()}`)
        const wrong = verifyRun(g, log, sim.exit.value as Readonly<Record<string, RoleState>>)
        if (wrong !== undefined) throw new Error(`${wrong}${where()}`)
        const valid = Trace.validate(g.protocol, sim.trace, { params: g.tree.params })
        if (Either.isLeft(valid)) throw new Error(`${valid.left.message}${where()}`)
        for (const e of sim.trace) if (e._tag === "Drop") dropped[e.reason === "partition" ? "partition" : "chaos"]++
      }),
      { numRuns: 200 }
    )
    // The faults struck: messages were lost both ways.
    expect(dropped.chaos).toBeGreaterThan(5)
    expect(dropped.partition).toBeGreaterThan(5)
  }, 60_000)

  it("under chaos without the reliable layer, complete or fail with a typed error within a bound of virtual time", async () => {
    const timeout = 1000
    const outcomes = { completed: 0, failed: 0 }
    await fc.assert(
      fc.asyncProperty(underChaos, decisions, seeds, async ([g, faults], ds, seed) => {
        const { implementations } = implementAll(g, ds)
        const sim = await Effect.runPromise(
          simulate(g.protocol, implementations, { seed, params: g.tree.params, chaos: faults, receiveTimeout: timeout })
        )
        const where = () => context(g, seed, `\nchaos: ${JSON.stringify(faults)}`)
        // Each message waited for takes at most the timeout, plus the chaos's delay.
        const sends = sim.trace.filter((e) => e._tag === "Send").length
        expect(sim.time).toBeLessThanOrEqual((sends + 1) * (timeout + 30))
        if (Exit.isSuccess(sim.exit)) {
          outcomes.completed++
          const valid = Trace.validate(g.protocol, sim.trace, { params: g.tree.params })
          if (Either.isLeft(valid)) throw new Error(`${valid.left.message}${where()}`)
        } else {
          outcomes.failed++
          expectTypedFailure(sim.exit.cause, where)
        }
      }),
      { numRuns: 300 }
    )
    // Both happen: the property is not vacuous either way.
    expect(outcomes.completed).toBeGreaterThan(20)
    expect(outcomes.failed).toBeGreaterThan(20)
  }, 60_000)

  it("under chaos without the reliable layer nor a receive timeout, complete or fail with a typed error: never hang", async () => {
    const outcomes = { completed: 0, deadlocked: 0 }
    await fc.assert(
      fc.asyncProperty(underChaos, decisions, seeds, async ([g, faults], ds, seed) => {
        const { implementations } = implementAll(g, ds)
        const sim = await Effect.runPromise(simulate(g.protocol, implementations, { seed, params: g.tree.params, chaos: faults }))
        const where = () => context(g, seed, `\nchaos: ${JSON.stringify(faults)}`)
        if (Exit.isSuccess(sim.exit)) {
          outcomes.completed++
          const valid = Trace.validate(g.protocol, sim.trace, { params: g.tree.params })
          if (Either.isLeft(valid)) throw new Error(`${valid.left.message}${where()}`)
        } else {
          expectTypedFailure(sim.exit.cause, where)
          if (Chunk.toArray(Cause.failures(sim.exit.cause)).some((f) => String((f as { message?: string }).message).includes("deadlock"))) {
            outcomes.deadlocked++
          }
        }
      }),
      { numRuns: 200 }
    )
    // Lost messages leave roles waiting for ever: the simulator finds those deadlocks.
    expect(outcomes.completed).toBeGreaterThan(20)
    expect(outcomes.deadlocked).toBeGreaterThan(2)
  }, 60_000)

  it("under chaos without the reliable layer over the in-memory transport, end within a TestClock bound", async () => {
    const timeout = 1000
    await fc.assert(
      fc.asyncProperty(underChaos, decisions, seeds, async ([g, faults], ds, seed) => {
        const { implementations } = implementAll(g, ds)
        const network = Layer.provide(Chaos.layer({ seed, ...faults }), Memory.layer)
        // Generated sessions send at most a few dozen messages: 100 waits is a generous bound.
        const bound = 100 * (timeout + 30)
        const exit = await Effect.runPromise(
          Effect.gen(function*() {
            const fiber = yield* Effect.fork(
              Session.run(g.protocol, implementations, { params: g.tree.params, receiveTimeout: timeout }).pipe(
                Effect.provide(network)
              )
            )
            yield* TestClock.adjust(bound)
            return yield* Fiber.poll(fiber)
          }).pipe(Effect.provide(TestContext.TestContext))
        )
        const where = () => context(g, seed, `\nchaos: ${JSON.stringify(faults)}`)
        if (Option.isNone(exit)) throw new Error(`the session had not ended after ${bound} ms of TestClock time${where()}`)
        if (Exit.isFailure(exit.value)) expectTypedFailure(exit.value.cause, where)
      }),
      { numRuns: 60 }
    )
  }, 60_000)
})
