/**
 * The ill-formed protocols of `quadrille/testing/arbitrary`: each generated case is rejected by
 * `Protocol.makeEither` with exactly the rule it is paired with, every rule is produced, the
 * defects sit inside the protocols, each case without its defect builds, and each prints as
 * code that reproduces the rejection.
 */
import { Cause, Effect, Either, Exit, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ProjectionError, Protocol, type Rule, Session } from "../src/index.js"
import {
  build,
  buildIllFormed,
  generated,
  type IllFormed,
  illFormedProtocol,
  illFormedRules,
  illFormedToCode,
  implementAll,
  noPerturbations,
  type ProtocolTree,
  type RoleState,
  type TreeStep,
  verifyRun
} from "../src/testing/arbitrary/index.js"

/** Every rule of `ProjectionError`, written out here so that the generator cannot drop one unseen. */
const ALL_RULES: ReadonlyArray<Rule> = [
  "UndeclaredRole",
  "DuplicateRole",
  "SelfMessage",
  "UnknownLabel",
  "RecurOutsideLoop",
  "DuplicateLoopName",
  "UnguardedLoop",
  "LoopWithoutExit",
  "EmptyChoice",
  "StepAfterEnd",
  "UnmergeableChoice",
  "AmbiguousBranch",
  "DuplicateBranchMessage",
  "BadRoleMapping",
  "CatalogueConflict",
  "EndInParallel",
  "EndInRepeat",
  "RecurAcrossBarrier",
  "ChooserUnaware",
  "InvalidRole",
  "InvalidMessage",
  "EndInTimeout",
  "TimeoutNotRaced",
  "BadDuration",
  "EndInSaga"
]

const sorted = (rules: Iterable<Rule>) => [...new Set(rules)].sort()

const rejection = (ill: IllFormed): ProjectionError => {
  const built = buildIllFormed(ill)
  if (Either.isRight(built)) throw new Error(`accepted, but it breaks ${ill.rule}:\n${illFormedToCode(ill)}`)
  return built.left
}

/** Rejected with a `ProjectionError` of the paired rule, that names the protocol. */
const rejectedAsPaired = (ill: IllFormed) => {
  const e = rejection(ill)
  const context = `${e.rule}: ${e.message}\n${illFormedToCode(ill)}`
  expect(e, context).toBeInstanceOf(ProjectionError)
  expect(e.rule, context).toBe(ill.rule)
  expect(e.protocol, context).toBe(ill.protocol)
  // A bad mapping is found while composing, and names the composed protocol.
  const head = ill.rule === "BadRoleMapping" ? `compose(${ill.protocol}): ` : `protocol ${ill.protocol}: `
  expect(e.message.startsWith(head), context).toBe(true)
}

const sample = fc.sample(illFormedProtocol(), { numRuns: 400, seed: 20240611 })

describe("illFormedProtocol", () => {
  it("every case is rejected with a ProjectionError of exactly its rule, naming the protocol", () => {
    fc.assert(fc.property(illFormedProtocol(), rejectedAsPaired), { numRuns: 300 })
  })

  it.each(ALL_RULES)("%s alone: rules restricts the cases to it, and each is rejected under it", (rule) => {
    fc.assert(
      fc.property(illFormedProtocol({ rules: [rule] }), (ill) => {
        expect(ill.rule).toBe(rule)
        rejectedAsPaired(ill)
      }),
      { numRuns: 15 }
    )
  })

  it("produces every rule: the rules of the rejections over a sample are all the rules", () => {
    expect(sorted(illFormedRules)).toEqual(sorted(ALL_RULES))
    const seen = sample.map((ill) => rejection(ill).rule)
    expect(sorted(seen)).toEqual(sorted(ALL_RULES))
  })

  it("puts the defects inside choices, loops, rounds and parallel branches, not only at the top level", () => {
    // A duplicate or invalid role, an invalid label and a catalogue conflict are in the declarations: depth 0.
    const declarations: ReadonlyArray<Rule> = ["DuplicateRole", "CatalogueConflict", "InvalidRole", "InvalidMessage"]
    const nestable = ALL_RULES.filter((r) => !declarations.includes(r))
    const nested = sorted(sample.filter((ill) => ill.depth >= 1).map((ill) => ill.rule))
    expect(nested).toEqual(sorted(nestable))
    const deep = sample.filter((ill) => ill.depth >= 2).length
    expect(deep).toBeGreaterThan(sample.length / 4)
  })

  it("without its defect, every case builds", () => {
    fc.assert(
      fc.property(illFormedProtocol(), (ill) => {
        const fixed = build(ill.fixed)
        if (Either.isLeft(fixed)) throw new Error(`${fixed.left.message}\n${illFormedToCode({ ...ill, tree: ill.fixed, retyped: [] })}`)
        expect(ill.retyped.length > 0 || JSON.stringify(ill.tree) !== JSON.stringify(ill.fixed)).toBe(true)
      }),
      { numRuns: 200 }
    )
  })

  it("prints as the builder code that reproduces the rejection, after the rule and the defect", () => {
    for (const rule of ALL_RULES) {
      for (const ill of sample.filter((s) => s.rule === rule).slice(0, 5)) {
        const code = fc.stringify(ill)
        expect(code).toBe(illFormedToCode(ill))
        expect(code.startsWith(`// ${rule}: ${ill.defect}\n`)).toBe(true)
        if (rule === "CatalogueConflict") expect(code).toContain(`${JSON.stringify(ill.retyped[0])}: Schema.String`)
        // Evaluated, the code builds the protocol with makeEither, and is rejected the same way.
        const evaluate = new Function("Protocol", "Schema", code.replace(/\nProtocol\.make\(/, "\nreturn Protocol.makeEither("))
        const built = evaluate(Protocol, Schema) as Either.Either<Protocol.Any, ProjectionError>
        expect(Either.isLeft(built) && built.left.message, code).toBe(rejection(ill).message)
      }
    }
  })

  it("in protocols with timeouts and sagas too: every case is rejected with exactly its rule, and builds without its defect", () => {
    const seen = new Set<Rule>()
    fc.assert(
      fc.property(illFormedProtocol({ timeouts: true, sagas: true }), (ill) => {
        rejectedAsPaired(ill)
        seen.add(ill.rule)
        const fixed = build(ill.fixed)
        if (Either.isLeft(fixed)) throw new Error(`${fixed.left.message}\n${illFormedToCode({ ...ill, tree: ill.fixed, retyped: [] })}`)
      }),
      { numRuns: 300 }
    )
    expect(seen.size).toBeGreaterThan(ALL_RULES.length - 3)
  })

  it("refuses an empty or unknown list of rules", () => {
    expect(() => illFormedProtocol({ rules: [] })).toThrow(/rules must be some of/)
    expect(() => illFormedProtocol({ rules: ["NoSuchRule" as Rule] })).toThrow(/NoSuchRule/)
  })
})

const zero = noPerturbations
const m = (from: string, to: string, label: string): TreeStep => ({ _tag: "Msg", from, to, label })
/** A loop whose body ends with a choice at A: go round (`go`) or leave (`stop`). */
const loop = (name: string, body: ReadonlyArray<TreeStep>): TreeStep => ({
  _tag: "Loop",
  name,
  body: [...body, {
    _tag: "Choice",
    at: "A",
    name: `${name}_again`,
    branches: [
      { label: "go", steps: [m("A", "B", "go"), { _tag: "Recur", name }] },
      { label: "stop", steps: [m("A", "B", "stop")] }
    ]
  }]
})
const tree = (name: string, steps: ReadonlyArray<TreeStep>, params: Record<string, number> = {}): ProtocolTree => ({
  name,
  roles: ["A", "B"],
  labels: ["go", "k", "m", "stop"],
  steps,
  params,
  perturbations: zero
})

/** The protocol is rejected as `DuplicateLoopName`, naming the reused name. */
const rejectedAsDuplicate = (t: ProtocolTree, name: string) => {
  const built = build(t)
  expect(Either.isLeft(built) && built.left.rule).toBe("DuplicateLoopName")
  expect(Either.isLeft(built) && built.left.message).toContain(`'${name}' at site`)
}

/**
 * Found while writing the generator: a loop or a repeat inside the rounds of a `repeat` could
 * take the name of a loop or repeat around that `repeat`. The check looked only at the loops
 * since the nearest barrier, but the rounds are no barrier for the compiled graph (`recur`
 * bound to the outermost loop of the name, counters keyed by name), so the run went wrong:
 * the inner recur went round the outer loop, one outer round ran instead of two, or the run
 * never ended. Names are now taken up to the nearest parallel branch (where the compiled graph
 * does start afresh), at run time and in the builder's types. And a composition mapping a role
 * that never acts onto an undeclared role was accepted (the types rejected it).
 */
describe("gaps in the well-formedness checks, now closed", () => {
  // loop L { A->B: m; repeat n { loop L { A->B: k; choice { go: recur L | stop } } }; choice { go: recur L | stop } }
  it("a loop in the rounds of a repeat, named like a loop around the repeat", () => {
    rejectedAsDuplicate(
      tree("LoopInRounds", [loop("L", [m("A", "B", "m"), { _tag: "Repeat", param: "n", body: [loop("L", [m("A", "B", "k")])] }])], { n: 2 }),
      "L"
    )
  })

  // repeat n { A->B: m; repeat n { B->A: k } }
  it("a repeat in the rounds of a repeat with the same parameter", () => {
    rejectedAsDuplicate(
      tree("RoundsInRounds", [{ _tag: "Repeat", param: "n", body: [m("A", "B", "m"), { _tag: "Repeat", param: "n", body: [m("B", "A", "k")] }] }], { n: 2 }),
      "n"
    )
  })

  // repeat n { A->B: m; loop n { A->B: k; choice { go: recur n | stop } } }
  it("a loop in the rounds of a repeat, named like the repeat's parameter", () => {
    rejectedAsDuplicate(
      tree("LoopNamedLikeRounds", [{ _tag: "Repeat", param: "n", body: [m("A", "B", "m"), loop("n", [m("A", "B", "k")])] }], { n: 2 }),
      "n"
    )
  })

  // The same names in sequence, or inside a parallel branch, are fine.
  it("the same name in sequence, or inside a parallel branch, is accepted and runs", async () => {
    const t = tree("Sequence", [
      { _tag: "Repeat", param: "n", body: [m("A", "B", "m")] },
      { _tag: "Repeat", param: "n", body: [m("B", "A", "k")] },
      loop("L", [m("A", "B", "m"), { _tag: "Parallel", branches: [[loop("L", [m("A", "B", "k")])]] }])
    ], { n: 2 })
    expect(Either.isRight(build(t))).toBe(true)
    const g = generated(t)
    const { implementations, log } = implementAll(g, [1, 0, 1, 1], { maxEvents: 5_000 })
    const exit = await Effect.runPromiseExit(
      Session.run(g.protocol, implementations, { params: t.params }).pipe(Effect.timeout("2 seconds"))
    )
    if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
    expect(verifyRun(g, log, exit.value as Readonly<Record<string, RoleState>>)).toBeUndefined()
  })

  it("a composition that maps an idle role to an undeclared role", () => {
    const N = Schema.Number
    const Sub = Protocol.make("Sub", { roles: ["P", "Q", "R"], messages: { m: N } }, (g) => g.msg("P", "Q", "m"))
    const built = Protocol.makeEither("Main", { roles: ["A", "B"], messages: {} }, (g) =>
      g.compose(Sub, { P: "A", Q: "B", R: "Z" as "A" }))
    expect(Either.isLeft(built) && built.left.rule).toBe("UndeclaredRole")
    expect(Either.isLeft(built) && built.left.message).toContain("Z")
  })
})

describe("illFormedProtocol and forever loops", () => {
  /** The names of the loops of some steps, at any depth, with whether each is declared forever. */
  const loopsOf = (steps: ReadonlyArray<TreeStep>, into = new Map<string, boolean>()): Map<string, boolean> => {
    for (const s of steps) {
      if (s._tag === "Loop") into.set(s.name, s.forever === true)
      const inner = s._tag === "Choice" ? s.branches.map((b) => b.steps)
        : s._tag === "Loop" || s._tag === "Repeat" ? [s.body]
        : s._tag === "Parallel" ? s.branches
        : s._tag === "Timeout" ? [s.body, s.fallback]
        : s._tag === "Saga" ? [s.forward, s.compensate]
        : s._tag === "Compose" ? [s.sub.steps]
        : []
      for (const i of inner) loopsOf(i, into)
    }
    return into
  }

  it("a loop without a way out is an unmarked loop, and its error names the forever marker", () => {
    const sample = fc.sample(illFormedProtocol({ rules: ["LoopWithoutExit"] }), { numRuns: 100, seed: 16 })
    for (const ill of sample) {
      const e = rejection(ill)
      const context = `${e.message}\n${illFormedToCode(ill)}`
      const named = /declare it with forever\('([^']+)'\) if it never ends\.$/.exec(e.message)
      expect(named, context).not.toBeNull()
      // The loop it names is one of the tree's, not declared forever.
      expect(loopsOf(ill.tree.steps).get(named![1]), context).toBe(false)
    }
  })

  it("in servers (option forever) too: every case is rejected with exactly its rule, and builds without its defect", () => {
    let servers = 0
    fc.assert(
      fc.property(illFormedProtocol({ forever: true }), (ill) => {
        if ([...loopsOf(ill.fixed.steps).values()].some((f) => f)) servers++
        rejectedAsPaired(ill)
        const fixed = build(ill.fixed)
        if (Either.isLeft(fixed)) throw new Error(`${fixed.left.message}\n${illFormedToCode({ ...ill, tree: ill.fixed, retyped: [] })}`)
      }),
      { numRuns: 300, seed: 16 }
    )
    expect(servers).toBeGreaterThan(150)
  })
})
