/**
 * Bounded model checking (`Check.model`): every example protocol and generated well-formed
 * protocols pass at k = 1 and 2; the optimised local types of the subtyping tests pass; bad
 * implementations (receives in the wrong order, a role that never sends, one that stops early,
 * an extra send) fail with the right report and a counterexample run.
 */
import { Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Check, Protocol } from "../../src/index.js"
import { mergeableProtocol, toCode, wellFormedProtocol } from "../../src/testing/arbitrary/index.js"
import { Trace } from "../../src/testing/index.js"
import * as Examples from "./examples.js"
import * as S from "./shapes.js"

const { send, recv, offer, end } = Check.local
const unsupported: Record<string, string> = { RobustRequest: "Timeout", CompensatingTransaction: "Saga" }

describe("Check.model over the examples", () => {
  for (const [name, p] of Object.entries(Examples)) {
    for (const bound of [1, 2]) {
      it(`${name}, k = ${bound}`, () => {
        const r = Check.model(p, { bound })
        if (name in unsupported) {
          expect(r).toMatchObject({ _tag: "Unsupported", construct: unsupported[name] })
        } else {
          if (r._tag !== "Ok") throw new Error(Check.report(r))
          expect(r.states).toBeGreaterThan(1)
          expect(r.millis).toBeGreaterThanOrEqual(0)
        }
      })
    }
  }
})

describe("Check.model over generated well-formed protocols", () => {
  it("every one is k-safe for k = 1 and 2 (parallels, repeats, compositions included)", () => {
    fc.assert(
      fc.property(wellFormedProtocol({ maxRoles: 4, maxSize: 40, maxParallel: 2, maxRounds: 2 }), fc.constantFrom(1, 2), (g, bound) => {
        const r = Check.model(g.protocol, { bound, params: g.tree.params, maxStates: 500_000 })
        if (r._tag !== "Ok") throw new Error(`${Check.report(r)}\n${toCode(g.tree)}`)
      }),
      { numRuns: 150 }
    )
  })

  it("so is every protocol of the freer generator that Protocol.makeEither accepts (full merging)", () => {
    fc.assert(
      fc.property(mergeableProtocol({ maxRoles: 4, maxSize: 40, maxParallel: 2, maxRounds: 2 }), fc.constantFrom(1, 2), (g, bound) => {
        const r = Check.model(g.protocol, { bound, params: g.tree.params, maxStates: 500_000 })
        if (r._tag !== "Ok") throw new Error(`${Check.report(r)}\n${toCode(g.tree)}`)
      }),
      { numRuns: 100 }
    )
  })
})

describe("Check.model with declared optimised roles", () => {
  it("ring: B and C send before they receive", () => {
    const roles = { B: S.ringSendFirst("B", "A", "C"), C: S.ringSendFirst("C", "B", "A") }
    for (const laps of [0, 1, 3]) {
      expect(Check.model(S.Ring, { bound: 2, roles, params: { laps } })._tag).toBe("Ok")
    }
  })

  it("ring: every role receiving first deadlocks at once", () => {
    const roles = { A: S.ringRecvFirst("A", "C", "B"), B: S.ringRecvFirst("B", "A", "C"), C: S.ringRecvFirst("C", "B", "A") }
    const r = Check.model(S.Ring, { bound: 2, roles, params: { laps: 1 } })
    expect(r).toMatchObject({ _tag: "Deadlock" })
    if (r._tag === "Deadlock") {
      expect(r.waiting.map((x) => `${x.role}<-${x.from}`)).toEqual(["A<-C", "B<-A", "C<-B"])
      expect(r.trace.map((e) => e._tag)).toEqual(["Round", "Round", "Round"])
    }
  })

  it("double buffering: the kernel with two Readys up front", () => {
    // With k = 1 the second Ready waits for room until the Source takes the first.
    for (const bound of [1, 2]) expect(Check.model(S.DoubleBuffering, { bound, roles: { Kernel: S.kernelTwoReadys } })._tag).toBe("Ok")
  })

  it("streaming: 5 values before the first Ready needs channels of 5 (undecided below)", () => {
    const roles = { Source: S.sourceAhead(5) }
    expect(Check.model(S.Streaming, { bound: 5, roles })._tag).toBe("Ok")
    expect(Check.model(S.Streaming, { bound: 2, roles })).toMatchObject({ _tag: "Undecided", reason: "ChannelBound" })
  })

  it("FFT butterfly: every role sending first", () => {
    const roles = Object.fromEntries(S.Butterfly.roles.map((r) => [r, S.butterflySendFirst(S.partners[r][0], S.partners[r][1])]))
    expect(Check.model(S.Butterfly, { bound: 1, roles })._tag).toBe("Ok")
  })

  it("FFT butterfly: both parties of an exchange receiving first deadlock", () => {
    const roles = { P0: S.butterflyRecvFirst("P1", "P2"), P1: S.butterflyRecvFirst("P0", "P3") }
    const r = Check.model(S.Butterfly, { bound: 2, roles })
    expect(r._tag).toBe("Deadlock")
    if (r._tag === "Deadlock") {
      expect(r.waiting).toContainEqual({ role: "P0", from: "P1", labels: ["X1"] })
      expect(r.waiting).toContainEqual({ role: "P1", from: "P0", labels: ["X1"] })
    }
  })
})

const M = Schema.Struct({})
const Pair = Protocol.make("Pair", { roles: ["A", "B"], messages: { M1: M, M2: M, Done: M } }, (g) =>
  g.msg("A", "B", "M1").msg("A", "B", "M2").msg("B", "A", "Done"))

describe("Check.model finds bad implementations", () => {
  it("a role that receives in the wrong order: unspecified reception", () => {
    const r = Check.model(Pair, { bound: 2, roles: { B: recv("A", "M2", recv("A", "M1", send("A", "Done"))) } })
    expect(r).toMatchObject({
      _tag: "UnspecifiedReception",
      role: "B",
      from: "A",
      expected: ["M2"],
      head: { from: "A", to: "B", label: "M1" },
      message: "B waits for M2 from A but M1 is at the head of the channel"
    })
    if (r._tag === "UnspecifiedReception") {
      expect(r.trace.map((e) => `${e._tag} ${e.role} ${e.label}`)).toEqual(["Send A M1"])
      expect(Check.report(r)).toMatch(/^Pair \(k = 2\): B waits for M2 from A but M1 is at the head of the channel — \d+ states, \d+ transitions, [\d.]+ ms\n  1\. A sends M1 to B$/)
    }
  })

  it("a role that never sends: deadlock", () => {
    const participant = recv("Coordinator", "PrepareRequest", offer("Coordinator", { CommitRequest: end, AbortRequest: end }))
    const r = Check.model(Examples.TwoPhaseCommit, { bound: 2, roles: { Participant: participant } })
    expect(r).toMatchObject({
      _tag: "Deadlock",
      waiting: [
        { role: "Coordinator", from: "Participant", labels: ["PrepareResponse"] },
        { role: "Participant", from: "Coordinator", labels: ["CommitRequest", "AbortRequest"] }
      ],
      message: "deadlock: Coordinator waits for PrepareResponse from Participant; Participant waits for CommitRequest | AbortRequest from Coordinator"
    })
    if (r._tag === "Deadlock") {
      expect(r.trace.map((e) => `${e._tag} ${e.role} ${e.label}`)).toEqual(["Send Coordinator PrepareRequest", "Receive Participant PrepareRequest"])
      expect(Check.toMermaid(r)).toBe(
        [
          "---",
          `title: "TwoPhaseCommit: Deadlock"`,
          "---",
          "sequenceDiagram",
          "  participant Coordinator",
          "  participant r1 as Participant",
          "  Coordinator->>r1: PrepareRequest",
          "  Note over Coordinator: waits for PrepareResponse from Participant",
          "  Note over r1: waits for CommitRequest | AbortRequest from Coordinator",
          ""
        ].join("\n")
      )
    }
  })

  it("a role that stops early: what its peer waits for can never come", () => {
    const r = Check.model(Examples.TwoPhaseCommit, { bound: 2, roles: { Participant: recv("Coordinator", "PrepareRequest") } })
    expect(r).toMatchObject({
      _tag: "UnspecifiedReception",
      role: "Coordinator",
      from: "Participant",
      head: undefined,
      message: "Coordinator waits for PrepareResponse from Participant, which has ended: it can never come"
    })
  })

  it("an extra send: an orphan message", () => {
    const participant = recv("Coordinator", "PrepareRequest", send("Coordinator", "PrepareResponse", offer("Coordinator", {
      CommitRequest: send("Coordinator", "CommitAck", send("Coordinator", "CommitAck")),
      AbortRequest: send("Coordinator", "AbortAck")
    })))
    const r = Check.model(Examples.TwoPhaseCommit, { bound: 2, roles: { Participant: participant } })
    expect(r).toMatchObject({
      _tag: "OrphanMessages",
      orphans: [{ from: "Participant", to: "Coordinator", label: "CommitAck" }],
      message: "orphan message: CommitAck from Participant to Coordinator, never received (the receiver has ended)"
    })
    if (r._tag === "OrphanMessages") {
      const last = r.trace[r.trace.length - 1]
      expect(last).toMatchObject({ _tag: "Send", role: "Participant", label: "CommitAck" })
      expect(Check.toMermaid(r)).toContain("r1-xCoordinator: CommitAck (lost)")
    }
  })

  it("a counterexample is a trace of TraceSink events, which Trace.toMermaid draws", () => {
    const r = Check.model(Examples.TwoPhaseCommit, { bound: 2, roles: { Participant: recv("Coordinator", "PrepareRequest") } })
    if (r._tag !== "UnspecifiedReception") throw new Error(r._tag)
    expect(r.trace).toEqual([
      { _tag: "Send", role: "Coordinator", peer: "Participant", label: "PrepareRequest", site: "", session: "TwoPhaseCommit", time: 0 },
      { _tag: "Receive", role: "Participant", peer: "Coordinator", label: "PrepareRequest", site: "", session: "TwoPhaseCommit", time: 1 }
    ])
    expect(Trace.toMermaid(r.trace)).toBe("sequenceDiagram\n  participant Coordinator\n  participant r1 as Participant\n  Coordinator->>r1: PrepareRequest\n")
  })

  it("channel contents are hashed without collisions: [\"M1\\u0001M2\"] is not [\"M1\", \"M2\"]", () => {
    // The catalogue may hold a label with U+0001 in it (the old key joined a channel's labels with it).
    const Odd = Protocol.make("Odd", { roles: ["A", "B"], messages: { M1: M, M2: M, "M1\u0001M2": M, Done: M } }, (g) =>
      g.msg("A", "B", "M1").msg("A", "B", "M2").msg("B", "A", "Done"))
    const { choose } = Check.local
    const k = recv("B", "Done")
    const bad = send("B", "M1\u0001M2", k)
    expect(Check.model(Odd, { bound: 2, roles: { A: bad } })).toMatchObject({ _tag: "UnspecifiedReception", role: "B" })
    // The good branch reaches B's channel holding [M1, M2]; the bad one [M1\u0001M2], explored after it.
    const A = choose("c", { p: send("B", "M1", send("B", "M2", k)), q: choose("d", { only: bad }) })
    expect(Check.model(Odd, { bound: 2, roles: { A } })).toMatchObject({ _tag: "UnspecifiedReception", role: "B" })
  })

  it("unsupported constructs are reported, never checked", () => {
    const par: Check.LocalType = { _tag: "Par", branches: [end], next: end }
    expect(Check.model(Pair, { bound: 1, roles: { A: par } })).toMatchObject({ _tag: "Unsupported", role: "A", construct: "Par" })
    expect(Check.model(Pair, { bound: 1, roles: { A: Check.local.var("X") } })).toMatchObject({ _tag: "Unsupported", construct: "malformed" })
    expect(() => Check.model(Pair, { bound: 1, roles: { Z: end } })).toThrow(/has no role Z/)
  })

  it("a declared local type's peers and labels must be the protocol's (a TypeError, as for an unknown role)", () => {
    expect(() => Check.model(S.Ring, { bound: 2, roles: { A: send("Z", "Value") } })).toThrow(
      new TypeError("protocol Ring has no role Z (role A's declared local type sends Value to Z)")
    )
    expect(() => Check.model(S.Ring, { bound: 2, roles: { A: recv("Z", "Value") } })).toThrow(
      new TypeError("protocol Ring has no role Z (role A's declared local type receives Value from Z)")
    )
    expect(() => Check.model(S.Ring, { bound: 2, roles: { A: send("A", "Value", recv("A", "Value")) } })).toThrow(
      /a role cannot message itself \(role A's declared local type sends Value to A\)/
    )
    expect(() => Check.model(Pair, { bound: 2, roles: { B: offer("A", { M1: end, M3: end }) } })).toThrow(
      new TypeError(`protocol Pair has no message "M3" (role B's declared local type receives M1 | M3 from A)`)
    )
  })

  it("a declared local type for a role that takes part in a parallel is unsupported, not a deadlock", () => {
    const N = Schema.Number
    const Lanes = Protocol.make("Lanes", { roles: ["A", "B"], messages: { M: N, K: N } }, (g) =>
      g.parallel((b) => b.msg("A", "B", "M").msg("B", "A", "K"), (b) => b.msg("A", "B", "M").msg("B", "A", "K")))
    expect(Check.model(Lanes, { bound: 2 })._tag).toBe("Ok")
    const A = send("B", "M", send("B", "M", recv("B", "K", recv("B", "K"))))
    expect(Check.model(Lanes, { bound: 2, roles: { A } })).toMatchObject({ _tag: "Unsupported", role: "A", construct: "Par" })
  })

  it("an empty choice or offer in a declared local type is malformed, never a deadlock with nobody waiting", () => {
    const { choose } = Check.local
    expect(Check.model(Pair, { bound: 1, roles: { A: choose("c", {}) } })).toMatchObject({
      _tag: "Unsupported",
      role: "A",
      construct: "malformed",
      message: "A: choice c has no branches (it could never be taken)"
    })
    expect(Check.model(Pair, { bound: 1, roles: { A: choose("c", {}), B: offer("A", {}) } })).toMatchObject({ _tag: "Unsupported", construct: "malformed" })
  })
})

/** Every place where `t` has two single-label actions (send or receive) in a row. */
const pairs = (t: Check.LocalType): number => {
  const here = (t._tag === "Send" || t._tag === "Recv") && (t.next._tag === "Send" || t.next._tag === "Recv") ? 1 : 0
  switch (t._tag) {
    case "Send":
    case "Recv":
      return here + pairs(t.next)
    case "Select":
    case "Offer":
      return Object.values(t.branches).reduce((n, k) => n + pairs(k), 0)
    case "Rounds":
      return pairs(t.again) + pairs(t.done)
    case "Rec":
      return pairs(t.body)
    case "Par":
      return t.branches.reduce((n, k) => n + pairs(k), pairs(t.next))
    default:
      return 0
  }
}

/** `t` with the `n`-th such pair swapped. */
const swapAt = (t: Check.LocalType, n: { i: number }): Check.LocalType => {
  if ((t._tag === "Send" || t._tag === "Recv") && (t.next._tag === "Send" || t.next._tag === "Recv") && n.i-- === 0) {
    const second = t.next
    return { ...second, next: { ...t, next: second.next } }
  }
  switch (t._tag) {
    case "Send":
    case "Recv":
      return { ...t, next: swapAt(t.next, n) }
    case "Select":
    case "Offer":
      return { ...t, branches: Object.fromEntries(Object.entries(t.branches).map(([l, k]) => [l, swapAt(k, n)])) }
    case "Rounds":
      return { ...t, again: swapAt(t.again, n), done: swapAt(t.done, n) }
    case "Rec":
      return { ...t, body: swapAt(t.body, n) }
    default:
      return t
  }
}

describe("Check.asyncSubtype agrees with Check.model", () => {
  it("a reordered role that asyncSubtype accepts never makes the model checker find an error", () => {
    let accepted = 0
    let refused = 0
    fc.assert(
      fc.property(
        wellFormedProtocol({ maxRoles: 4, maxSize: 40, parallel: false, maxRounds: 2 }),
        fc.nat(),
        fc.nat(),
        (g, pick, at) => {
          const role = g.protocol.roles[pick % g.protocol.roles.length]
          const projected = Protocol.project(g.protocol, role)
          const places = pairs(projected)
          if (places === 0) return
          const reordered = swapAt(projected, { i: at % places })
          const sub = Check.asyncSubtype(reordered, projected, { bound: 4, role })
          if (sub._tag !== "Subtype") {
            refused++
            return
          }
          accepted++
          const r = Check.model(g.protocol, { bound: 3, params: g.tree.params, roles: { [role]: reordered }, maxStates: 500_000 })
          if (r._tag !== "Ok" && !(r._tag === "Undecided" && r.reason === "ChannelBound")) {
            throw new Error(`${role}: ${Protocol.formatLocal(reordered)}\n${Check.report(r)}\n${toCode(g.tree)}`)
          }
        }
      ),
      { numRuns: 300 }
    )
    // Both outcomes happen (swaps of two sends to one peer, or of a receive ahead of a send, are refused).
    expect(accepted).toBeGreaterThan(20)
    expect(refused).toBeGreaterThan(20)
  })
})

/**
 * The sends of `t` that a peer always misses when they are left out: outside `loop`s (a send
 * that only says "once more" may go missing unnoticed: the peer just goes round fewer times),
 * inside `repeat`s (a fixed number of rounds) and choices. Counted in the order `dropSend` visits them.
 */
const sends = (t: Check.LocalType, inLoop = false): number => {
  switch (t._tag) {
    case "Send":
      return (inLoop ? 0 : 1) + sends(t.next, inLoop)
    case "Recv":
      return sends(t.next, inLoop)
    case "Select":
    case "Offer":
      return Object.values(t.branches).reduce((n, k) => n + sends(k, inLoop), 0)
    case "Rounds":
      return sends(t.again, inLoop) + sends(t.done, inLoop)
    case "Rec":
      return sends(t.body, inLoop || t.body._tag !== "Rounds")
    default:
      return 0
  }
}

/** `t` without the `n`-th of those sends. */
const dropSend = (t: Check.LocalType, n: { i: number }, inLoop = false): Check.LocalType => {
  switch (t._tag) {
    case "Send":
      return !inLoop && n.i-- === 0 ? t.next : { ...t, next: dropSend(t.next, n, inLoop) }
    case "Recv":
      return { ...t, next: dropSend(t.next, n, inLoop) }
    case "Select":
    case "Offer":
      return { ...t, branches: Object.fromEntries(Object.entries(t.branches).map(([l, k]) => [l, dropSend(k, n, inLoop)])) }
    case "Rounds":
      return { ...t, again: dropSend(t.again, n, inLoop), done: dropSend(t.done, n, inLoop) }
    case "Rec":
      return { ...t, body: dropSend(t.body, n, inLoop || t.body._tag !== "Rounds") }
    default:
      return t
  }
}

/** Every place where `t` receives two different labels from one peer in a row. */
const sameRecvs = (t: Check.LocalType): number => {
  const here = t._tag === "Recv" && t.next._tag === "Recv" && t.next.from === t.from && t.next.label !== t.label ? 1 : 0
  return here + children(t).reduce((n, c) => n + sameRecvs(c), 0)
}

/** `t` with the `n`-th such pair swapped. */
const swapRecvs = (t: Check.LocalType, n: { i: number }): Check.LocalType => {
  if (t._tag === "Recv" && t.next._tag === "Recv" && t.next.from === t.from && t.next.label !== t.label && n.i-- === 0) {
    return { ...t.next, next: { ...t, next: t.next.next } }
  }
  switch (t._tag) {
    case "Send":
    case "Recv":
      return { ...t, next: swapRecvs(t.next, n) }
    case "Select":
    case "Offer":
      return { ...t, branches: Object.fromEntries(Object.entries(t.branches).map(([l, k]) => [l, swapRecvs(k, n)])) }
    case "Rounds":
      return { ...t, again: swapRecvs(t.again, n), done: swapRecvs(t.done, n) }
    case "Rec":
      return { ...t, body: swapRecvs(t.body, n) }
    default:
      return t
  }
}

const children = (t: Check.LocalType): ReadonlyArray<Check.LocalType> =>
  t._tag === "Send" || t._tag === "Recv"
    ? [t.next]
    : t._tag === "Select" || t._tag === "Offer"
    ? Object.values(t.branches)
    : t._tag === "Rounds"
    ? [t.again, t.done]
    : t._tag === "Rec"
    ? [t.body]
    : []

describe("Check.model finds faults injected into generated protocols' roles", () => {
  // Every repeat goes round no time and once, in every combination: a part of a role may be on
  // the runs of only one of them (a repeat whose body ends the protocol, code after it).
  const settings = (params: Readonly<Record<string, number>>): Array<Record<string, number>> =>
    Object.keys(params).reduce<Array<Record<string, number>>>(
      (acc, k) => acc.flatMap((p) => [{ ...p, [k]: 0 }, { ...p, [k]: 1 }]),
      [{}]
    )
  const faulty = (count: (t: Check.LocalType) => number, inject: (t: Check.LocalType, n: { i: number }) => Check.LocalType) => {
    let tried = 0
    const property = fc.property(
      wellFormedProtocol({ maxRoles: 4, maxSize: 30, parallel: false, maxRounds: 2 }),
      fc.nat(),
      fc.nat(),
      (g, pick, at) => {
        if (Object.keys(g.tree.params).length > 4) return
        const role = g.protocol.roles[pick % g.protocol.roles.length]
        const projected = Protocol.project(g.protocol, role)
        const places = count(projected)
        if (places === 0) return
        tried++
        const broken = inject(projected, { i: at % places })
        const results = settings(g.tree.params).map((params) =>
          Check.model(g.protocol, { bound: 2, params, roles: { [role]: broken }, maxStates: 200_000 })
        )
        if (results.every((r) => r._tag === "Ok")) {
          throw new Error(`${role}: ${Protocol.formatLocal(broken)}\n${Check.report(results[0])}\n${toCode(g.tree)}`)
        }
      }
    )
    return { property, tried: () => tried }
  }

  it("a role that leaves out one of its sends is never Ok", () => {
    const found = faulty((t) => sends(t), (t, n) => dropSend(t, n))
    fc.assert(found.property, { numRuns: 200 })
    expect(found.tried()).toBeGreaterThan(50)
  })

  it("a role that takes two messages of one peer in the wrong order is never Ok", () => {
    const found = faulty(sameRecvs, swapRecvs)
    fc.assert(found.property, { numRuns: 200 })
    expect(found.tried()).toBeGreaterThan(10)
  })
})

describe("Check.model's maxStates", () => {
  it("more states than maxStates is Undecided (MaxStates), with the run so far", () => {
    expect(Check.model(S.Ring, { bound: 2, params: { laps: 3 } })).toMatchObject({ _tag: "Ok", states: 80 })
    const r = Check.model(S.Ring, { bound: 2, params: { laps: 3 }, maxStates: 10 })
    expect(r).toMatchObject({ _tag: "Undecided", reason: "MaxStates", message: "undecided within bound 2: more than 10 states" })
    if (r._tag === "Undecided") {
      expect(r.states).toBeGreaterThan(10)
      expect(r.trace.length).toBeGreaterThan(0)
    }
    // At the exact number of states it is Ok; one fewer is Undecided.
    expect(Check.model(S.Ring, { bound: 2, params: { laps: 3 }, maxStates: 80 })._tag).toBe("Ok")
    expect(Check.model(S.Ring, { bound: 2, params: { laps: 3 }, maxStates: 79 })).toMatchObject({ _tag: "Undecided", reason: "MaxStates" })
  })
})

describe("examples/model-check.ts", () => {
  it("runs", async () => {
    const { main } = await import("../../examples/model-check.js")
    const lines: Array<string> = []
    const log = console.log
    console.log = (...xs: Array<unknown>) => void lines.push(xs.join(" "))
    try {
      main()
    } finally {
      console.log = log
    }
    const out = lines.join("\n")
    expect(out).toContain("asyncSubtype: Subtype")
    expect(out).toContain("B receives Value from A before sending Value to C: an input may not move ahead of an output")
    expect(out).toMatch(/Ring \(k = 2\): ok — 151 states/)
    expect(out).toContain("Note over r1: waits for CommitRequest from Coordinator")
  })
})
