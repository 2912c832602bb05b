/**
 * The arbitraries of `quadrille/testing/arbitrary` (fast-check 4) and of
 * `quadrille/testing/arbitrary/effect` (the fast-check 3.23 of `effect/FastCheck`, which
 * `@effect/vitest`'s `it.prop` runs): one implementation built with either module, each
 * arbitrary an instance of its own module's `Arbitrary`, usable by that module's runner, and
 * printed in counterexamples as `Protocol.make` code by both.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck, Schema } from "effect"
import fc from "fast-check"
import { Protocol, Role, Session } from "../src/index.js"
import * as ForEffect from "../src/testing/arbitrary/effect.js"
import * as ForFastCheck from "../src/testing/arbitrary/index.js"
import { decisions, runsToCompletion } from "./fixtures/property.js"

/** A protocol of one's own, with refined payloads, for `payload`. */
const Line = Schema.Struct({
  sku: Schema.String.pipe(Schema.minLength(3), Schema.maxLength(8)),
  quantity: Schema.Number.pipe(Schema.int(), Schema.between(1, 99)),
  gift: Schema.optional(Schema.Boolean)
})
const Order = Protocol.make("Order", { roles: ["Shop", "Store"], messages: { Line, Total: Schema.Number } }, (g) =>
  g.msg("Shop", "Store", "Line").msg("Store", "Shop", "Total"))

/** Sends `line` to the store over a validating session; the store's result is what it received. */
const sendLine = (line: typeof Line.Type) =>
  Session.run(Order, {
    Shop: Role.implement(Order, "Shop", { send: { Line: () => line }, recv: { Total: (_, t) => t } }, 0),
    Store: Role.implement(Order, "Store", {
      send: { Total: (s) => s!.quantity },
      recv: { Line: (_, l) => l }
    }, undefined as typeof Line.Type | undefined)
  }, { validate: true })

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

describe("payload: arbitraries of a protocol's own payloads, from its Schemas", () => {
  it("with fast-check 4: every payload drawn decodes and goes through a validating session", async () => {
    expect(ForFastCheck.payload(Order, "Line")).toBeInstanceOf(fc.Arbitrary)
    await fc.assert(
      fc.asyncProperty(ForFastCheck.payload(Order, "Line"), async (line) => {
        expect(Either.isRight(Schema.decodeUnknownEither(Line)(line))).toBe(true)
        const results = await Effect.runPromise(sendLine(line))
        expect(results).toEqual({ Shop: line.quantity, Store: line })
      }),
      { numRuns: 50, seed: 15 }
    )
  })

  it.effect.prop(
    "with effect/FastCheck (it.effect.prop): the same",
    [ForEffect.payload(Order, "Line")],
    ([line]) =>
      Effect.gen(function*() {
        expect(Either.isRight(Schema.decodeUnknownEither(Line)(line))).toBe(true)
        const results = yield* sendLine(line)
        expect(results).toEqual({ Shop: line.quantity, Store: line })
      }),
    { fastCheck: { numRuns: 50, seed: 15 } }
  )

  it("a label the protocol does not have is a RangeError", () => {
    expect(() => ForEffect.payload(Order, "Refund" as never)).toThrow(RangeError)
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
