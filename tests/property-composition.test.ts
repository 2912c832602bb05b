/**
 * Property-based tests of composition: generated protocols with sub-protocols composed under
 * role mappings (some twice), broadcasts, rounds (`repeat`, with the number of rounds a
 * session parameter) and parallel branches, as well as choices and loops. Well-formed ones are
 * accepted and project onto every role; running generated implementations of all roles ends
 * with every role at End, each payload received exactly once by the role it was for, every role
 * acting in an order the protocol allows, and between each pair the messages of each lane
 * received in the order they were sent (across parallel branches only the multiset is fixed).
 */
import { Effect, Either, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ProjectionError, Protocol, Role, Session } from "../src/index.js"
import {
  build,
  checkOrder,
  choicesOf,
  freeTree,
  generated,
  implementAll,
  innerSteps,
  mergeableProtocol,
  type ProtocolTree,
  replay,
  type RoleState,
  subProtocols,
  toCode,
  type TreeStep,
  verifyRun,
  wellFormedProtocol,
  wellFormedTree
} from "../src/testing/arbitrary/index.js"
import { decisions, projectsEveryRole, runsToCompletion } from "./fixtures/property.js"


/** Whether some step of a tree, composed sub-protocols included, satisfies `p`. */
const some = (steps: ReadonlyArray<TreeStep>, p: (s: TreeStep) => boolean): boolean =>
  steps.some((s) => p(s) || innerSteps(s).some((inner) => some(inner, p)))

const composedTwice = (t: ProtocolTree) =>
  subProtocols(t).some((sub) => {
    let n = 0
    some(t.steps, (s) => s._tag === "Compose" && s.sub === sub && ++n > 1)
    return n > 1
  })

describe("generated protocols with compose, broadcast, repeat and parallel", () => {
  it("cover every construct: sub-protocols composed twice and nested, parallels, rounds 0 to 3", () => {
    const sample = fc.sample(wellFormedTree(), { numRuns: 300, seed: 7 })
    const count = (p: (t: ProtocolTree) => boolean) => sample.filter(p).length
    expect(count((t) => some(t.steps, (s) => s._tag === "Compose"))).toBeGreaterThan(60)
    expect(count(composedTwice)).toBeGreaterThan(30)
    expect(count((t) => subProtocols(t).some((s) => some(s.steps, (x) => x._tag === "Compose")))).toBeGreaterThan(15)
    expect(count((t) => some(t.steps, (s) => s._tag === "Parallel" && s.branches.length > 1))).toBeGreaterThan(60)
    expect(count((t) => some(t.steps, (s) => s._tag === "Parallel" && some(s.branches.flat(), (x) => x._tag === "Parallel"))))
      .toBeGreaterThan(5)
    expect(count((t) => some(t.steps, (s) => s._tag === "Repeat"))).toBeGreaterThan(60)
    expect(count((t) => some(t.steps, (s) => s._tag === "Broadcast"))).toBeGreaterThan(60)
    expect(count((t) => subProtocols(t).some((s) => some(s.steps, (x) => x._tag === "End")))).toBeGreaterThan(5)
    const rounds = new Set(sample.flatMap((t) => Object.values(t.params)))
    expect([...rounds].sort()).toEqual([0, 1, 2, 3])
  })

  it("are accepted by Protocol.makeEither", () => {
    fc.assert(
      fc.property(wellFormedTree(), (tree) => {
        const built = build(tree)
        if (Either.isLeft(built)) throw new Error(`${built.left.message}\n${toCode(tree)}`)
      }),
      { numRuns: 400 }
    )
  })

  it("project onto every role", () => {
    fc.assert(fc.property(wellFormedProtocol(), projectsEveryRole), { numRuns: 200 })
  })

  it("run to completion: every role reaches End, every payload received once, in lane order", async () => {
    await fc.assert(
      fc.asyncProperty(
        wellFormedProtocol(),
        decisions,
        fc.boolean(),
        // "yield": receive handlers of concurrent branches of one role overlap.
        fc.constantFrom(false, true, "yield" as const),
        (g, ds, validate, effectful) => runsToCompletion(g, ds, { validate, effectful })
      ),
      { numRuns: 400 }
    )
  })

  it("run to completion with validate: true and many roles", async () => {
    await fc.assert(
      fc.asyncProperty(
        wellFormedProtocol({ minRoles: 4, maxRoles: 6 }),
        decisions,
        (g, ds) => runsToCompletion(g, ds, { validate: true, effectful: false })
      ),
      { numRuns: 100 }
    )
  })
})

describe("freer protocols with composition", () => {
  it("Protocol.makeEither accepts them or answers a ProjectionError, and never throws", () => {
    fc.assert(
      fc.property(freeTree(), (tree) => {
        const built = build(tree)
        if (Either.isLeft(built)) {
          expect(built.left).toBeInstanceOf(ProjectionError)
          expect(built.left.message).toMatch(/^protocol (Free|S\d)/)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("the accepted ones project onto every role and run to completion", async () => {
    await fc.assert(
      fc.asyncProperty(
        mergeableProtocol(),
        decisions,
        fc.boolean(),
        fc.constantFrom(false, "yield" as const),
        (g, ds, validate, effectful) => {
          projectsEveryRole(g)
          return runsToCompletion(g, ds, { validate, effectful })
        }
      ),
      { numRuns: 300 }
    )
  })

  it("include sub-protocols that may end composed over some roles, and branches that escape", () => {
    const sample = fc.sample(freeTree(), { numRuns: 300, seed: 42 })
    expect(sample.filter((t) => t.perturbations.partialCompose > 0).length).toBeGreaterThan(5)
    expect(sample.filter((t) => t.perturbations.escape > 0).length).toBeGreaterThan(5)
    const accepted = sample.filter((t) => Either.isRight(build(t)))
    expect(accepted.filter((t) => t.perturbations.partialCompose > 0).length).toBeGreaterThan(0)
  })
})

/** Rounds of a parallel: A sends B two m's on one lane and a k on another, each round. */
const roundsOfParallel: TreeStep = {
  _tag: "Repeat",
  param: "r",
  body: [{
    _tag: "Parallel",
    branches: [
      [{ _tag: "Msg", from: "A", to: "B", label: "m" }, { _tag: "Msg", from: "A", to: "B", label: "m" }],
      [{ _tag: "Msg", from: "A", to: "B", label: "k" }]
    ]
  }]
}

describe("the oracle", () => {
  it("replays a parallel branch by branch, each on a lane of its own run", () => {
    const tree = fc.sample(wellFormedTree(), { numRuns: 1, seed: 1 })[0]
    expect(Either.isRight(replay({ ...tree, steps: [] }, {}))).toBe(true)
    const lanes: ProtocolTree = {
      name: "Lanes",
      roles: ["A", "B"],
      labels: ["m", "k"],
      params: { r: 2 },
      perturbations: tree.perturbations,
      steps: [roundsOfParallel]
    }
    const trace = Either.getOrThrow(replay(lanes, {}))
    expect(trace.map((e) => e._tag === "Msg" && `${e.label}@${e.lane.map((l) => `${l.par}.${l.branch}`).join("/")}`))
      .toEqual(["m@0.0", "m@0.0", "k@0.1", "m@1.0", "m@1.0", "k@1.1"])
    const expected = trace.map((e) => ({ key: e._tag === "Msg" ? e.label : "", lane: e.lane }))
    const at = (keys: string) => [...keys].map((key, i) => ({ key, at: [i] }))
    // Across branches any order; within a lane and across rounds, the replay's.
    expect(checkOrder(expected, at("kmmmkm"))).toBeUndefined()
    expect(checkOrder(expected, at("mkmkmm"))).toBeUndefined()
    expect(checkOrder(expected, at("mmmkkm"))).toContain("not in an order the protocol allows")
    expect(checkOrder(expected, at("mmkmm"))).toContain("not the same events")
    // Two sequences (sent, received): one lane's messages in the same order in both.
    const two = (pairs: ReadonlyArray<readonly [string, number, number]>) => pairs.map(([key, s, r]) => ({ key, at: [s, r] }))
    expect(checkOrder(expected, two([["m", 0, 1], ["k", 1, 0], ["m", 2, 2], ["m", 3, 3], ["m", 4, 4], ["k", 5, 5]])))
      .toBeUndefined()
    // The two m of round 0 sent 0, 2 but received the other way round: no lane does that.
    expect(checkOrder(expected, two([["m", 0, 2], ["k", 1, 0], ["m", 2, 1], ["m", 3, 3], ["m", 4, 4], ["k", 5, 5]])))
      .toContain("not in an order")
  })

  it("choicesOf heads for the end with the session parameters: a repeat without rounds never reaches its end()", () => {
    const base = fc.sample(wellFormedTree(), { numRuns: 1, seed: 1 })[0]
    const msg = (from: string, to: string, label: string): TreeStep => ({ _tag: "Msg", from, to, label })
    // Found by the hunt: with r0 = 0 the driver kept taking x, whose only end() is in the rounds.
    const tree = (r0: number): ProtocolTree => ({
      ...base,
      roles: ["A", "B"],
      params: { r0 },
      steps: [{
        _tag: "Loop",
        name: "l0",
        body: [{
          _tag: "Choice",
          at: "A",
          name: "c0",
          branches: [
            {
              label: "x",
              steps: [msg("A", "B", "c0x"), { _tag: "Repeat", param: "r0", body: [msg("A", "B", "a"), { _tag: "End" }] }, {
                _tag: "Recur",
                name: "l0"
              }]
            },
            { label: "y", steps: [msg("A", "B", "c0y"), msg("B", "A", "b"), msg("A", "B", "c")] }
          ]
        }]
      }]
    })
    expect(choicesOf(tree(0)).c0.towardEnd).toEqual(["y"])
    expect(choicesOf(tree(1)).c0.towardEnd).toEqual(["x"])
  })

  it("verifyRun catches a run that lost, mixed or reordered messages, or decided otherwise", async () => {
    const tree: ProtocolTree = {
      ...fc.sample(wellFormedTree(), { numRuns: 1, seed: 1 })[0],
      name: "Tamper",
      roles: ["A", "B"],
      labels: ["m", "k", "c0x", "c0y"],
      params: { r: 2 },
      steps: [
        roundsOfParallel,
        {
          _tag: "Choice",
          at: "A",
          name: "c0",
          branches: [
            { label: "x", steps: [{ _tag: "Msg", from: "A", to: "B", label: "c0x" }] },
            { label: "y", steps: [{ _tag: "Msg", from: "A", to: "B", label: "c0y" }] }
          ]
        }
      ]
    }
    const g = generated(tree)
    const { implementations, log } = implementAll(g, [1])
    const results = await Effect.runPromise(Session.run(g.protocol, implementations, { params: tree.params })) as Record<
      string,
      RoleState
    >
    expect(verifyRun(g, log, results)).toBeUndefined()
    type Log = typeof log
    /** The run with B's receive events at `i` and `j` (its first receives: round 0) swapped. */
    const swapped = (i: number, j: number) => {
      const events = [...log.events.B]
      ;[events[i], events[j]] = [events[j], events[i]]
      const received = events.flatMap((e) => (e._tag === "Recv" ? [{ from: e.from, label: e.label, payload: e.payload }] : []))
      return [{ ...log, events: { ...log.events, B: events } }, { ...results, B: { ...results.B, received } }] as const
    }
    const labels = log.events.B.slice(0, 3).map((e) => (e._tag === "Recv" ? e.label : ""))
    const [m1, m2] = [labels.indexOf("m"), labels.lastIndexOf("m")]
    const k = labels.indexOf("k")
    // The two m of one lane received the other way round: wrong. The k of the other branch
    // moved past an m (the two m staying in order): fine.
    expect(verifyRun(g, ...swapped(m1, m2))).toMatch(/^the messages A -> B .* are not in an order the protocol allows/)
    expect(verifyRun(g, ...swapped(k, k > m2 ? m2 : m1))).toBeUndefined()
    // A message lost, a state that lost an update, a decision not taken.
    const lost: Log = { ...log, events: { ...log.events, B: log.events.B.slice(1) } }
    expect(verifyRun(g, lost, { ...results, B: { ...results.B, received: results.B.received.slice(1) } }))
      .toMatch(/which nobody received$/)
    expect(verifyRun(g, log, { ...results, B: { ...results.B, received: results.B.received.slice(1) } }))
      .toMatch(/^the state of B does not hold what its receive handlers returned/)
    const other: Log = { ...log, decisions: { ...log.decisions, A: [{ choice: "c0", branch: log.decisions.A[0].branch === "x" ? "y" : "x" }] } }
    expect(verifyRun(g, other, results)).toMatch(/^what A did .* not the same events/)
  })

  it("toCode prints the sub-protocols before the protocol that composes them, and the parameters", () => {
    const tree = fc.sample(wellFormedTree(), { numRuns: 300, seed: 3 }).find((t) =>
      composedTwice(t) && Object.keys(t.params).length > 0 && some(t.steps, (s) => s._tag === "Parallel")
    )!
    const code = toCode(tree)
    for (const sub of subProtocols(tree)) {
      expect(code.indexOf(`const ${sub.name} = Protocol.make(${JSON.stringify(sub.name)}`)).toBeLessThan(
        code.indexOf(`.compose(${sub.name}, {`)
      )
    }
    expect(code).toContain(`{ params: ${JSON.stringify(tree.params)} }`)
    expect(code).toContain(".parallel(\n")
    // The code is the protocol: evaluated, it builds the same steps.
    const evaluate = new Function("Protocol", "Schema", `${code.replace(/\nProtocol\.make\(/, "\nreturn Protocol.make(")}`)
    const built = evaluate(Protocol, Schema) as Protocol.Any
    expect(JSON.stringify(built.steps)).toBe(JSON.stringify(generated(tree).protocol.steps))
  })
})

/**
 * Known library issues the properties found, each as its smallest reproduction. The generators
 * leave these shapes out by default (`roundEnds`, `reusedRounds`); each test states the right
 * behaviour and is marked `fails`: once the issue is fixed, make it a plain `it` (and the option
 * a default). A third, receive handlers of concurrent branches losing state updates, was fixed
 * meanwhile (30d5e06); the runs with `effectful: "yield"` above would catch it again.
 */
describe("known library issues (reproductions)", () => {
  const N = Schema.Number
  const ends = <A, E>(run: Effect.Effect<A, E>) =>
    Effect.runPromise(
      run.pipe(Effect.timeoutFail({ duration: "500 millis", onTimeout: () => "hangs" as const }))
    )
  const plain = (p: Protocol.Any, role: string, choose: Record<string, () => string> = {}) =>
    // Loosely typed on purpose: one implementation for every role of any of these protocols.
    Role.implement(p as never, role as never, {
      send: Object.fromEntries(Object.keys(p.messages).map((l) => [l, () => 1])),
      recv: Object.fromEntries(Object.keys(p.messages).map((l) => [l, (s: number) => s + 1])),
      choose
    } as never, 0)

  // A round ends the protocol; C takes no part in the rounds, is projected as if every round
  // fell through (Recv(A, b).End), and waits for b forever. Either reject it or let C end.
  // Found by the properties: C, outside the rounds, waited forever for b. Such a round is now rejected.
  it("a round that ends the protocol is rejected (a role outside the rounds would wait forever)", () => {
    const P = Protocol.makeEither("RoundEnd", { roles: ["A", "B", "C"], messages: { a: N, b: N } }, (g) =>
      g.repeat("r", (b) => b.msg("A", "B", "a").end()).msg("A", "C", "b"))
    expect(Either.isLeft(P) && P.left.rule).toBe("EndInRepeat")
    expect(Either.isLeft(P) && P.left.message).toContain("end() at site 0.1 is inside the repeat at site 0")
  })

  // One sub-protocol with rounds composed twice: its parameter 'r' (and loop 'l') occur twice.
  // C sits out the first copy's loop. Found by the properties: C failed at the second copy with
  // "C does not know how many rounds of 'r' are done (site 1.0.0)", because the counters that
  // differed where the first copy's paths met were taken as unknown for the whole closure;
  // they are now unknown only up to where the loop is entered afresh.
  it("the same sub-protocol with rounds composed twice: a role that sat out the first copy knows the second's rounds", async () => {
    const Sub = Protocol.make("Sub", { roles: ["P", "Q"], messages: { m: N, x: N, y: N } }, (g) =>
      g.loop("l", (b) =>
        b.repeat("r", (b) => b.msg("P", "Q", "m")).choice("P", "c", {
          more: (b) => b.msg("P", "Q", "x").recur("l"),
          done: (b) => b.msg("P", "Q", "y")
        })))
    const Twice = Protocol.make("Twice", { roles: ["A", "B", "C"], messages: {} }, (g) =>
      g.compose(Sub, { P: "A", Q: "B" }).compose(Sub, { P: "C", Q: "A" }))
    const done = { c: () => "done" }
    await ends(
      Session.run(Twice, { A: plain(Twice, "A", done), B: plain(Twice, "B"), C: plain(Twice, "C", done) }, {
        params: { r: 1 }
      })
    )
    // A goes round its loop twice: C still knows the rounds of the second copy.
    let turns = 0
    const twice = { c: () => (turns++ < 2 ? "more" : "done") }
    const r = await ends(
      Session.run(Twice, { A: plain(Twice, "A", twice), B: plain(Twice, "B"), C: plain(Twice, "C", done) }, {
        params: { r: 2 }
      })
    )
    // B received 3 rounds of 2 m's, 2 x's and a y; A received C's 2 m's and a y.
    expect(r).toEqual({ A: 3, B: 9, C: 0 })
  })

  it("the same repeat name after a loop a role sat out, in one protocol", async () => {
    const P = Protocol.make("SameName", { roles: ["A", "B", "C"], messages: { m: N, x: N, y: N, n: N } }, (g) =>
      g.loop("l", (b) =>
        b.repeat("r", (b) => b.msg("A", "B", "m")).choice("A", "c", {
          more: (b) => b.msg("A", "B", "x").recur("l"),
          done: (b) => b.msg("A", "B", "y")
        })).repeat("r", (b) => b.msg("C", "A", "n")))
    let turns = 0
    const r = await ends(
      Session.run(P, {
        A: plain(P, "A", { c: () => (turns++ < 1 ? "more" : "done") }),
        B: plain(P, "B"),
        C: plain(P, "C")
      }, { params: { r: 2 } })
    )
    expect(r).toEqual({ A: 2, B: 6, C: 0 })
  })
})
