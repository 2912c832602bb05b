/**
 * Property-based tests of the core: every generated well-formed protocol projects onto every
 * role, and running generated implementations of all its roles ends with every role at End,
 * having exchanged exactly the messages of the global protocol along the branches taken.
 */
import { Effect, Either, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ProjectionError, Protocol, Role, Session } from "../src/index.js"
import {
  type ArbitraryOptions,
  build,
  freeTree,
  mergeableProtocol,
  toCode,
  wellFormedProtocol,
  wellFormedTree
} from "../src/testing/arbitrary/index.js"
import { decisions, projectsEveryRole, runsToCompletion } from "./fixtures/property.js"

/** The core constructs only: messages, choices, loops (composition: property-composition.test.ts). */
const core: ArbitraryOptions = { compose: false, broadcast: false, repeat: false, parallel: false }


describe("generated well-formed protocols", () => {
  it("are accepted by Protocol.makeEither", () => {
    fc.assert(
      fc.property(wellFormedTree(core), (tree) => {
        const built = build(tree)
        if (Either.isLeft(built)) throw new Error(`${built.left.message}\n${toCode(tree)}`)
      }),
      { numRuns: 300 }
    )
  })

  it("project onto every role", () => {
    fc.assert(fc.property(wellFormedProtocol(core), projectsEveryRole), { numRuns: 200 })
  })

  it("run to completion: every role reaches End, every message sent is received in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        wellFormedProtocol(core),
        decisions,
        fc.boolean(),
        fc.boolean(),
        (g, ds, validate, effectful) => runsToCompletion(g, ds, { validate, effectful })
      ),
      { numRuns: 200 }
    )
  })
})

describe("freer protocols (full merging)", () => {
  it("Protocol.makeEither accepts them or answers a ProjectionError, and never throws", () => {
    fc.assert(
      fc.property(freeTree(core), (tree) => {
        const built = build(tree)
        if (Either.isLeft(built)) {
          expect(built.left).toBeInstanceOf(ProjectionError)
          expect(built.left.message).toContain(`protocol ${tree.name}`)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("the accepted ones project onto every role and run to completion", async () => {
    await fc.assert(
      fc.asyncProperty(
        mergeableProtocol(core),
        decisions,
        fc.boolean(),
        (g, ds, validate) => {
          projectsEveryRole(g)
          return runsToCompletion(g, ds, { validate, effectful: false })
        }
      ),
      { numRuns: 200 }
    )
  })

  it("include roles that are never told the branch and roles told by a role that was told", () => {
    const sample = fc.sample(mergeableProtocol(core), { numRuns: 300, seed: 42 })
    expect(sample.filter((g) => g.tree.perturbations.uninformed > 0).length).toBeGreaterThan(5)
    expect(sample.filter((g) => g.tree.perturbations.relayed > 0).length).toBeGreaterThan(5)
    expect(sample.filter((g) => g.tree.perturbations.lateInform > 0).length).toBeGreaterThan(5)
    const rejected = fc.sample(freeTree(core), { numRuns: 300, seed: 42 }).filter((t) => Either.isLeft(build(t)))
    expect(rejected.length).toBeGreaterThan(10)
  })
})

describe("regressions found by the properties", () => {
  // A, B, C; C is told nothing while A and B go round loop l, then receives Fin inside l.
  it("a role that sits out rounds of a loop accepts the message that ends its wait (loop counters)", async () => {
    const N = Schema.Number
    const P = Protocol.make("SilentRound", { roles: ["A", "B", "C"], messages: { More: N, Done: N, Fin: N } }, (g) =>
      g.loop("l", (b) =>
        b.choice("A", "c", {
          more: (b) => b.msg("A", "B", "More").recur("l"),
          done: (b) => b.msg("A", "B", "Done").msg("A", "C", "Fin")
        })))
    let rounds = 0
    const a = Role.implement(P, "A", {
      send: { More: () => 1, Done: () => 2, Fin: () => 3 },
      choose: { c: () => (rounds++ < 1 ? "more" : "done") }
    }, 0)
    const b = Role.implement(P, "B", {}, 0)
    const c = Role.implement(P, "C", { recv: { Fin: (_, n) => n } }, 0)
    // Failed before the fix with: C expected iteration 0 of loop 'l' but received Fin from A (site 0.0.done.1, seq 0): iteration 1
    const r = await Effect.runPromise(Session.run(P, { A: a, B: b, C: c }))
    expect(r.C).toBe(3)
  })
})
