/**
 * Properties of protocols with a family of roles, over generated ones
 * (src/testing/arbitrary/family.ts): at every size the expansion runs to the end with one
 * implementation for every member, sends the messages the tree says, has a valid trace, and
 * every member's local type is the same up to the names of its peers and the member sites;
 * every misuse of a family is rejected with `FamilyMisuse`.
 */
import { Effect, Either, Exit } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Protocol, Session, TraceSink } from "../src/index.js"
import {
  buildFamily,
  familyMisuse,
  familyTree,
  implementFamily,
  memberReceivesAt,
  messagesAt
} from "../src/testing/arbitrary/index.js"
import { Trace } from "../src/testing/index.js"

/**
 * A local type with the other members' names made one (`F[*]`), and the branches of each
 * parallel in a fixed order (the order of concurrent branches means nothing, and in an
 * exchange member i's sends and receives interleave by index): what must be the same for
 * every member.
 */
const shapeOf = (local: unknown): string => {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(norm)
    if (typeof x === "string") return /^F\[\d+\]$/.test(x) ? "F[*]" : x
    if (typeof x !== "object" || x === null) return x
    const o = Object.fromEntries(Object.entries(x).map(([k, v]) => [k, norm(v)]))
    if (o._tag === "Par") o.branches = (o.branches as Array<unknown>).map((b) => JSON.stringify(b)).sort()
    return o
  }
  return JSON.stringify(norm(local))
}

const sizes = [1, 2, 3, 5]

describe("family protocols (generated): run, trace and projection", () => {
  it("at 1, 2, 3 and 5 members: one implementation runs every member to the end, the messages are the tree's, the trace is valid, each member hears the same number", async () => {
    await fc.assert(
      fc.asyncProperty(familyTree(), async (tree) => {
        const protocol = buildFamily(tree)
        for (const n of sizes) {
          const impls = implementFamily(protocol)
          const exit = await Effect.runPromiseExit(
            TraceSink.recording(Session.run(protocol, impls as never, { params: { ...tree.rounds, F: n } }))
          )
          if (Exit.isFailure(exit)) throw new Error(`at ${n} members: ${String(exit.cause)}`)
          const [results, events] = exit.value as unknown as readonly [{ readonly F: ReadonlyArray<ReadonlyArray<string>> }, ReadonlyArray<TraceSink.TraceEvent>]
          expect(results.F).toHaveLength(n)
          expect(events.filter((e) => e._tag === "Send")).toHaveLength(messagesAt(tree, n))
          for (const heard of results.F) expect(heard).toHaveLength(memberReceivesAt(tree, n))
          const valid = Trace.validate(Protocol.expand(protocol, { F: n }), events, { params: tree.rounds })
          if (Either.isLeft(valid)) throw new Error(`at ${n} members: ${valid.left.message}`)
        }
      }),
      { numRuns: 40 }
    )
  }, 120_000)

  it("every member of an expansion has the same local type, up to its peers' names", () => {
    fc.assert(
      fc.property(familyTree(), (tree) => {
        const protocol = buildFamily(tree)
        for (const n of [2, 4]) {
          const expanded = Protocol.expand(protocol, { F: n })
          const shapes = new Set(Array.from({ length: n }, (_, i) => shapeOf(Protocol.project(expanded, `F[${i}]`))))
          expect(shapes.size).toBe(1)
        }
      }),
      { numRuns: 60 }
    )
  })

  it("a misuse of the family (a family as one role, a role as a family, a nested forEach, end() inside one) is rejected with FamilyMisuse", () => {
    fc.assert(
      fc.property(familyMisuse(), (m) => {
        const r = m.build()
        expect(Either.isLeft(r) && r.left.rule).toBe("FamilyMisuse")
      }),
      { numRuns: 60 }
    )
  })
})
