/**
 * The arbitraries of `quadrille/testing/arbitrary` (fast-check 4) and of
 * `quadrille/testing/arbitrary/effect` (the fast-check 3.23 of `effect/FastCheck`, which
 * `@effect/vitest`'s `it.prop` runs): one implementation built with either module, each
 * arbitrary an instance of its own module's `Arbitrary`, usable by that module's runner, and
 * printed in counterexamples as `Protocol.make` code by both.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck } from "effect"
import fc from "fast-check"
import * as ForEffect from "../src/testing/arbitrary/effect.js"
import * as ForFastCheck from "../src/testing/arbitrary/index.js"
import { decisions, runsToCompletion } from "./fixtures/property.js"

const names = ["wellFormedTree", "wellFormedProtocol", "freeTree", "mergeableProtocol", "illFormedProtocol", "faultPlan"] as const
const options = { maxDepth: 2, maxSteps: 2, compose: false } as const

describe("quadrille/testing/arbitrary on fast-check 4", () => {
  it("every arbitrary is fast-check 4's own (not effect's fast-check)", () => {
    for (const name of names) {
      const arbitrary = ForFastCheck[name]()
      expect(arbitrary, name).toBeInstanceOf(fc.Arbitrary)
      expect(arbitrary, name).not.toBeInstanceOf(FastCheck.Arbitrary)
    }
  })

  it("fc.assert runs generated protocols to completion; fc.stringify prints them as code", async () => {
    await fc.assert(
      fc.asyncProperty(ForFastCheck.wellFormedProtocol(options), decisions, async (g, ds) => {
        await runsToCompletion(g, ds, { validate: true, effectful: false })
        expect(fc.stringify(g)).toBe(ForFastCheck.toCode(g.tree))
      }),
      { numRuns: 25, seed: 15 }
    )
  })

  it("ill-formed protocols are rejected with their rule; fault plans are chaos options", () => {
    fc.assert(
      fc.property(ForFastCheck.illFormedProtocol(options), ForFastCheck.faultPlan({ roles: ["A", "B"] }), (ill, plan) => {
        const built = ForFastCheck.buildIllFormed(ill)
        expect(Either.isLeft(built) && built.left.rule).toBe(ill.rule)
        expect(fc.stringify(ill)).toBe(ForFastCheck.illFormedToCode(ill))
        expect(plan.drop).toBeGreaterThanOrEqual(0)
      }),
      { numRuns: 50, seed: 15 }
    )
  })
})

describe("quadrille/testing/arbitrary/effect on effect/FastCheck", () => {
  it("every arbitrary is effect's fast-check's own (not fast-check 4's)", () => {
    for (const name of names) {
      const arbitrary = ForEffect[name]()
      expect(arbitrary, name).toBeInstanceOf(FastCheck.Arbitrary)
      expect(arbitrary, name).not.toBeInstanceOf(fc.Arbitrary)
    }
  })

  it.effect.prop(
    "it.effect.prop runs generated protocols to completion; FastCheck.stringify prints them as code",
    [ForEffect.wellFormedProtocol(options), FastCheck.array(FastCheck.nat(5), { maxLength: 24 })],
    ([g, ds]) =>
      Effect.promise(async () => {
        await runsToCompletion(g, ds, { validate: true, effectful: false })
        expect(FastCheck.stringify(g)).toBe(ForEffect.toCode(g.tree))
      }),
    { fastCheck: { numRuns: 25, seed: 15 } }
  )

  it.prop(
    "ill-formed protocols are rejected with their rule; fault plans are chaos options",
    { ill: ForEffect.illFormedProtocol(options), plan: ForEffect.faultPlan({ roles: ["A", "B"] }) },
    ({ ill, plan }) => {
      const built = ForEffect.buildIllFormed(ill)
      expect(Either.isLeft(built) && built.left.rule).toBe(ill.rule)
      expect(FastCheck.stringify(ill)).toBe(ForEffect.illFormedToCode(ill))
      expect(plan.drop).toBeGreaterThanOrEqual(0)
    },
    { fastCheck: { numRuns: 50, seed: 15 } }
  )

})
