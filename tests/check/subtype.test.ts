/**
 * Bounded asynchronous subtyping (`Check.asyncSubtype`): Rumpsteak's four shapes accepted
 * against the projections of protocols built with `Protocol.make`, inputs moved ahead of
 * outputs refused, and two properties over generated protocols.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Check, Protocol } from "../../src/index.js"
import { type ArbitraryOptions, toCode, wellFormedProtocol } from "../../src/testing/arbitrary/index.js"
import * as S from "./shapes.js"

const { send, recv, choose, offer, rec, end } = Check.local
const v = Check.local.var

describe("Check.local", () => {
  it("builds the data Protocol.project gives", () => {
    const t = rec("X", choose("c", { a: send("B", "M", v("X")), b: offer("B", { K: end, L: recv("C", "N") }) }))
    expect(Protocol.formatLocal(t)).toBe("Rec X.Select{ a: Send(B, M).X, b: Offer(B){ K: End, L: Recv(C, N).End } }")
    expect(offer("A", { M: end })).toEqual(recv("A", "M"))
  })
})

describe("Check.asyncSubtype: the four shapes", () => {
  it("a type is a subtype of itself, and the projection of itself", () => {
    for (const r of S.Ring.roles) {
      const p = Protocol.project(S.Ring, r)
      expect(Check.asyncSubtype(p, p, { bound: 0 })._tag).toBe("Subtype")
    }
  })

  it("ring: the middle roles send before they receive (accepted)", () => {
    expect(Protocol.formatLocal(Protocol.project(S.Ring, "B"))).toBe(
      "Rec laps.Rounds(laps){ again: Recv(A, Value).Send(C, Value).laps, done: End }"
    )
    for (const [me, prev, next] of [["B", "A", "C"], ["C", "B", "A"]] as const) {
      const r = Check.asyncSubtype(S.ringSendFirst(me, prev, next), Protocol.project(S.Ring, me), { bound: 2, role: me })
      expect(r).toMatchObject({ _tag: "Subtype", bound: 2 })
    }
  })

  it("ring: a receive-first role against a send-first projection (refused)", () => {
    const r = Check.asyncSubtype(S.ringRecvFirst("A", "C", "B"), Protocol.project(S.Ring, "A"), { bound: 4, role: "A" })
    expect(r).toMatchObject({
      _tag: "NotSubtype",
      reason: "InputBeforeOutput",
      action: { _tag: "Recv", peer: "C", labels: ["Value"] },
      blocking: { _tag: "Send", peer: "B", label: "Value" },
      path: [{ _tag: "Round", param: "laps", branch: "again" }],
      message: "A receives Value from C before sending Value to B: an input may not move ahead of an output"
    })
  })

  it("double buffering: the kernel sends two Readys up front (accepted, bound 3; undecided at 2)", () => {
    const projected = Protocol.project(S.DoubleBuffering, "Kernel")
    expect(Check.asyncSubtype(S.kernelTwoReadys, projected, { bound: 3, role: "Kernel" })._tag).toBe("Subtype")
    const r = Check.asyncSubtype(S.kernelTwoReadys, projected, { bound: 2, role: "Kernel" })
    expect(r._tag).toBe("Undecided")
    if (r._tag === "Undecided") expect(r.message).toMatch(/^undecided within bound 2: Kernel would owe the projection more than 2/)
  })

  it("streaming: the source sends 5 values before the first Ready (accepted, bound 5; undecided at 4)", () => {
    const projected = Protocol.project(S.Streaming, "Source")
    expect(Protocol.formatLocal(projected)).toBe(
      "Rec stream.Select{ more: Send(Sink, Value).Recv(Sink, Ready).stream, stop: Send(Sink, Stop).End }"
    )
    expect(Check.asyncSubtype(S.sourceAhead(5), projected, { bound: 5, role: "Source" })._tag).toBe("Subtype")
    expect(Check.asyncSubtype(S.sourceAhead(5), projected, { bound: 4, role: "Source" })._tag).toBe("Undecided")
    for (let n = 0; n <= 5; n++) expect(Check.asyncSubtype(S.sourceAhead(n), projected, { bound: 5 })._tag).toBe("Subtype")
  })

  it("FFT butterfly: both parties of every exchange send first (accepted)", () => {
    for (const r of S.Butterfly.roles) {
      const [a, b] = S.partners[r]
      const res = Check.asyncSubtype(S.butterflySendFirst(a, b), Protocol.project(S.Butterfly, r), { bound: 2, role: r })
      expect(res._tag).toBe("Subtype")
    }
  })

  it("FFT butterfly: receiving first where the projection sends first (refused)", () => {
    const r = Check.asyncSubtype(S.butterflyRecvFirst("P1", "P2"), Protocol.project(S.Butterfly, "P0"), { role: "P0" })
    expect(r).toMatchObject({
      _tag: "NotSubtype",
      reason: "InputBeforeOutput",
      message: "P0 receives X1 from P1 before sending X1 to P1: an input may not move ahead of an output"
    })
  })
})

describe("Check.asyncSubtype: the rules", () => {
  const P = recv("A", "Ping", send("C", "Ready"))
  it("an output moves ahead of an input; an input never ahead of an output", () => {
    expect(Check.asyncSubtype(send("C", "Ready", recv("A", "Ping")), P, { role: "B" })._tag).toBe("Subtype")
    expect(Check.asyncSubtype(P, send("C", "Ready", recv("A", "Ping")), { role: "B" })).toMatchObject({
      _tag: "NotSubtype",
      reason: "InputBeforeOutput",
      message: "B receives Ping from A before sending Ready to C: an input may not move ahead of an output"
    })
  })

  it("outputs to one peer keep their order; outputs to different peers may swap", () => {
    expect(Check.asyncSubtype(send("B", "M", send("B", "N")), send("B", "N", send("B", "M")))).toMatchObject({
      _tag: "NotSubtype",
      reason: "OutputNotAllowed"
    })
    expect(Check.asyncSubtype(send("C", "M", send("B", "N")), send("B", "N", send("C", "M")))._tag).toBe("Subtype")
  })

  it("inputs from different peers may swap; from one peer they may not", () => {
    expect(Check.asyncSubtype(recv("C", "M", recv("B", "N")), recv("B", "N", recv("C", "M")))._tag).toBe("Subtype")
    expect(Check.asyncSubtype(recv("B", "M", recv("B", "N")), recv("B", "N", recv("B", "M")))).toMatchObject({
      _tag: "NotSubtype",
      reason: "UnhandledLabel"
    })
  })

  it("an output moves ahead of an offer only when every branch has it", () => {
    const U = offer("A", { x: send("C", "R"), y: send("C", "R", recv("A", "Z")) })
    expect(Check.asyncSubtype(send("C", "R", offer("A", { x: end, y: recv("A", "Z") })), U)._tag).toBe("Subtype")
    const W = offer("A", { x: send("C", "R"), y: end })
    expect(Check.asyncSubtype(send("C", "R", offer("A", { x: end, y: end })), W)).toMatchObject({
      _tag: "NotSubtype",
      reason: "OutputNotAllowed",
      message: "the role sends R to C where the projection has ended"
    })
  })

  it("internal choice narrows, external choice widens", () => {
    const U = choose("c", { a: send("B", "A1"), b: send("B", "B1") })
    expect(Check.asyncSubtype(choose("c", { a: send("B", "A1") }), U)._tag).toBe("Subtype")
    expect(Check.asyncSubtype(choose("c", { a: send("B", "A1"), z: end }), U)).toMatchObject({
      _tag: "NotSubtype",
      reason: "OutputNotAllowed",
      action: { _tag: "Choose", choice: "c", branch: "z" }
    })
    const O = offer("B", { a: end, b: end })
    expect(Check.asyncSubtype(offer("B", { a: end, b: end, c: send("B", "K") }), O)._tag).toBe("Subtype")
    expect(Check.asyncSubtype(recv("B", "a"), O)).toMatchObject({ _tag: "NotSubtype", reason: "UnhandledLabel" })
  })

  it("ends must agree", () => {
    expect(Check.asyncSubtype(end, recv("A", "M"))).toMatchObject({ _tag: "NotSubtype", reason: "EndMismatch" })
    expect(Check.asyncSubtype(recv("A", "M"), end)).toMatchObject({ _tag: "NotSubtype", reason: "EndMismatch" })
  })

  it("a branch of the projection's choice beyond the bound is not dropped: undecided, not refused", () => {
    // U: Select{ a: Send(B, x).Send(C, l1), b: Send(C, l2).Send(B, x) }; T sends x to B first.
    const U = choose("c", { a: send("B", "x", send("C", "l1")), b: send("C", "l2", send("B", "x")) })
    const T = send("B", "x", choose("c", { a: send("C", "l1"), b: send("C", "l2") }))
    expect(Check.asyncSubtype(T, U, { bound: 1 })).toMatchObject({ _tag: "Undecided", bound: 1 })
    expect(Check.asyncSubtype(T, U, { bound: 2 })._tag).toBe("Subtype")
    // A branch that refuses the send is still dropped (here: b ends without sending x, which
    // the check sees at depth 2, so bound 1 is undecided there too).
    const W = choose("c", { a: send("B", "x", send("C", "l1")), b: send("C", "l2") })
    const Ta = send("B", "x", choose("c", { a: send("C", "l1") }))
    expect(Check.asyncSubtype(Ta, W, { bound: 2 })._tag).toBe("Subtype")
    expect(Check.asyncSubtype(Ta, W, { bound: 1 })._tag).toBe("Undecided")
    expect(Check.asyncSubtype(T, W, { bound: 4 })).toMatchObject({ _tag: "NotSubtype", reason: "OutputNotAllowed" })
  })

  it("an output anticipated forever is undecided, never accepted", () => {
    const U = rec("X", recv("A", "Q", send("A", "R", v("X"))))
    expect(Check.asyncSubtype(rec("X", send("A", "R", v("X"))), U, { bound: 6 })._tag).toBe("Undecided")
  })

  /** `levels` offers of 10 labels from A, every label to the same continuation, then `k`. */
  const layers = (levels: number, k: Check.LocalType) => {
    let t = k
    for (let i = 0; i < levels; i++) {
      const next = t
      t = offer("A", Object.fromEntries(Array.from({ length: 10 }, (_, j) => [`l${j}`, next])))
    }
    return t
  }

  it("a send moved past offers whose branches meet again is checked once per residual, not once per path", () => {
    // 10^10 label paths, 12 states on each side.
    const r = Check.asyncSubtype(send("B", "x", layers(10, end)), layers(10, send("B", "x")), { bound: 10 })
    expect(r).toMatchObject({ _tag: "Subtype" })
    if (r._tag === "Subtype") expect(r.pairs).toBeLessThanOrEqual(12)
  })

  it("a branch of the projection's offer that refuses the send refuses it, whatever its other branches need", () => {
    const U = offer("A", { p: send("C", "m", send("B", "x")), q: send("B", "y") })
    const T = send("B", "x", offer("A", { p: send("C", "m"), q: end }))
    for (const bound of [1, 4]) {
      expect(Check.asyncSubtype(T, U, { bound })).toMatchObject({
        _tag: "NotSubtype",
        reason: "OutputNotAllowed",
        message: "the role sends x to B where the projection sends y to B"
      })
    }
  })

  it("maxPairs counts the steps inside the projection too", () => {
    const T = send("B", "x", layers(4, end))
    const U = layers(4, send("B", "x"))
    expect(Check.asyncSubtype(T, U, { bound: 10 })).toMatchObject({ _tag: "Subtype", pairs: 6 })
    expect(Check.asyncSubtype(T, U, { bound: 10, maxPairs: 0 })._tag).toBe("Undecided")
    // 6 pairs, but moving the send past 4 offers takes more steps than that.
    expect(Check.asyncSubtype(T, U, { bound: 10, maxPairs: 10 })).toMatchObject({
      _tag: "Undecided",
      message: "undecided within bound 10: more than 10 pairs of states and steps in the projection"
    })
  })

  it("a large bound does not overflow the stack", () => {
    const n = 5000
    let U = send("B", "x")
    let T = end
    for (let i = 0; i < n; i++) {
      U = recv("A", "p", U)
      T = recv("A", "p", T)
    }
    T = send("B", "x", T)
    // The send moves past n receives: bound n exactly.
    expect(Check.asyncSubtype(T, U, { bound: n, maxPairs: 1_000_000 })._tag).toBe("Subtype")
    expect(Check.asyncSubtype(T, U, { bound: n - 1, maxPairs: 1_000_000 })).toMatchObject({
      _tag: "Undecided",
      message: expect.stringMatching(/^undecided within bound 4999: the role would owe the projection more than 4999 overtaken actions/)
    })
    expect(Check.asyncSubtype(T, U, { bound: n, maxPairs: 10_000 })).toMatchObject({ _tag: "Undecided", message: expect.stringMatching(/more than 10000 pairs/) })
  })

  it("unsupported constructs and malformed types are reported as such", () => {
    const par: Check.LocalType = { _tag: "Par", branches: [end], next: end }
    expect(Check.asyncSubtype(par, par)).toMatchObject({ _tag: "Unsupported", construct: "Par" })
    expect(Check.asyncSubtype(rec("X", v("X")), end)).toMatchObject({ _tag: "Unsupported", construct: "malformed" })
    expect(Check.asyncSubtype(v("Y"), end)).toMatchObject({ _tag: "Unsupported", construct: "malformed" })
  })

  it("an empty choice or offer is malformed, not a subtype of anything", () => {
    const U = choose("c", { a: send("B", "A1"), b: send("B", "B1") })
    expect(Check.asyncSubtype(choose("c", {}), U)).toMatchObject({
      _tag: "Unsupported",
      construct: "malformed",
      message: "choice c has no branches (it could never be taken)"
    })
    expect(Check.asyncSubtype(offer("A", {}), recv("A", "M"))).toMatchObject({
      _tag: "Unsupported",
      construct: "malformed",
      message: "an offer from A has no branches (it could never receive anything)"
    })
    expect(Check.asyncSubtype(send("B", "A1"), choose("c", {}))).toMatchObject({ _tag: "Unsupported", construct: "malformed" })
  })
})

/** Generated protocols without the constructs the check does not model. */
const modelled: ArbitraryOptions = { parallel: false, maxRoles: 4 }

type Swap = "send-recv" | "recv-send"

/** The places where `t` has a send right before a receive (or a receive right before a send). */
const count = (t: Check.LocalType, kind: Swap): number => {
  const here = kind === "send-recv"
    ? t._tag === "Send" && t.next._tag === "Recv"
    : t._tag === "Recv" && t.next._tag === "Send"
  return (here ? 1 : 0) + children(t).reduce((n, c) => n + count(c, kind), 0)
}

const children = (t: Check.LocalType): ReadonlyArray<Check.LocalType> => {
  switch (t._tag) {
    case "Send":
    case "Recv":
      return [t.next]
    case "Select":
    case "Offer":
      return Object.values(t.branches)
    case "Rounds":
      return [t.again, t.done]
    case "Rec":
      return [t.body]
    default:
      return []
  }
}

/** `t` with the `n`-th such pair swapped (in the order `count` visits them). */
const swap = (t: Check.LocalType, kind: Swap, n: { i: number }): Check.LocalType => {
  const here = kind === "send-recv"
    ? t._tag === "Send" && t.next._tag === "Recv"
    : t._tag === "Recv" && t.next._tag === "Send"
  if (here && n.i-- === 0) {
    const first = t as Extract<Check.LocalType, { _tag: "Send" | "Recv" }>
    const second = first.next as Extract<Check.LocalType, { _tag: "Send" | "Recv" }>
    return { ...second, next: { ...first, next: second.next } } as Check.LocalType
  }
  switch (t._tag) {
    case "Send":
    case "Recv":
      return { ...t, next: swap(t.next, kind, n) }
    case "Select":
    case "Offer":
      return { ...t, branches: Object.fromEntries(Object.entries(t.branches).map(([l, k]) => [l, swap(k, kind, n)])) }
    case "Rounds":
      return { ...t, again: swap(t.again, kind, n), done: swap(t.done, kind, n) }
    case "Rec":
      return { ...t, body: swap(t.body, kind, n) }
    default:
      return t
  }
}

describe("Check.asyncSubtype: properties over generated protocols", () => {
  it("every projection is a subtype of itself", () => {
    fc.assert(
      fc.property(wellFormedProtocol(modelled), (g) => {
        for (const role of g.protocol.roles) {
          const p = Protocol.project(g.protocol, role)
          const r = Check.asyncSubtype(p, p, { bound: 0, role })
          if (r._tag !== "Subtype") throw new Error(`${role}: ${JSON.stringify(r)}\n${toCode(g.tree)}`)
        }
      }),
      { numRuns: 150 }
    )
  })

  const withSwap = (kind: Swap) =>
    wellFormedProtocol(modelled).chain((g) => {
      const places = g.protocol.roles.flatMap((role) => {
        const p = Protocol.project(g.protocol, role)
        return Array.from({ length: count(p, kind) }, (_, i) => ({ role, i }))
      })
      return places.length === 0
        ? fc.constant(undefined)
        : fc.constantFrom(...places).map(({ role, i }) => {
          const projected = Protocol.project(g.protocol, role)
          return { g, role, projected, swapped: swap(projected, kind, { i }) }
        })
    }).filter((x) => x !== undefined)

  it("moving an input ahead of an output is refused", () => {
    fc.assert(
      fc.property(withSwap("send-recv"), ({ g, role, projected, swapped }) => {
        const r = Check.asyncSubtype(swapped, projected, { bound: 6, role })
        if (r._tag !== "NotSubtype" || r.reason !== "InputBeforeOutput") {
          throw new Error(`${role}: ${Protocol.formatLocal(swapped)}: ${JSON.stringify(r)}\n${toCode(g.tree)}`)
        }
      }),
      { numRuns: 150 }
    )
  })

  it("moving an output ahead of an input is accepted", () => {
    fc.assert(
      fc.property(withSwap("recv-send"), ({ g, role, projected, swapped }) => {
        const r = Check.asyncSubtype(swapped, projected, { bound: 2, role })
        if (r._tag !== "Subtype") throw new Error(`${role}: ${Protocol.formatLocal(swapped)}: ${JSON.stringify(r)}\n${toCode(g.tree)}`)
      }),
      { numRuns: 150 }
    )
  })
})

/** Small finite local types over the peers `peers` (labels m, n; a choice d; offers of m | n). */
const finite = (peers: ReadonlyArray<string>) =>
  fc.letrec<{ t: Check.LocalType }>((tie) => ({
    t: fc.oneof(
      { depthSize: "small", maxDepth: 4 },
      fc.constant(end),
      fc.tuple(fc.constantFrom(...peers), fc.constantFrom("m", "n"), tie("t")).map(([p, l, k]) => send(p, l, k)),
      fc.tuple(fc.constantFrom(...peers), fc.constantFrom("m", "n"), tie("t")).map(([p, l, k]) => recv(p, l, k)),
      fc.tuple(tie("t"), tie("t")).map(([a, b]) => choose("d", { a, b })),
      fc.tuple(fc.constantFrom(...peers), tie("t"), tie("t")).map(([p, a, b]) => offer(p, { m: a, n: b }))
    )
  })).t

describe("Check.asyncSubtype: a send moved across a choice or an offer", () => {
  const any = finite(["A", "B", "C"])
  /** Never sends x to B: whatever it does, it cannot supply a send moved ahead of it. */
  const withoutX = finite(["A", "C"])

  it("ahead of an offer whose every branch starts with it: accepted at bound 1, undecided at 0", () => {
    fc.assert(
      fc.property(any, any, (k1, k2) => {
        const U = offer("A", { p: send("B", "x", k1), q: send("B", "x", k2) })
        const T = send("B", "x", offer("A", { p: k1, q: k2 }))
        expect(Check.asyncSubtype(T, U, { bound: 1 })._tag).toBe("Subtype")
        expect(Check.asyncSubtype(T, U, { bound: 0 })._tag).toBe("Undecided")
      }),
      { numRuns: 200 }
    )
  })

  it("ahead of a choice whose every branch starts with it: accepted at bound 1 (and with fewer branches)", () => {
    fc.assert(
      fc.property(any, any, (k1, k2) => {
        const U = choose("c", { a: send("B", "x", k1), b: send("B", "x", k2) })
        expect(Check.asyncSubtype(send("B", "x", choose("c", { a: k1, b: k2 })), U, { bound: 1 })._tag).toBe("Subtype")
        expect(Check.asyncSubtype(send("B", "x", choose("c", { b: k2 })), U, { bound: 1 })._tag).toBe("Subtype")
        expect(Check.asyncSubtype(send("B", "x", choose("c", { a: k1, b: k2 })), U, { bound: 0 })._tag).toBe("Undecided")
      }),
      { numRuns: 200 }
    )
  })

  it("ahead of an offer or a choice with a branch that never sends it: refused within a large bound, never accepted", () => {
    fc.assert(
      fc.property(any, withoutX, (k1, k2) => {
        const cases = [
          [send("B", "x", offer("A", { p: k1, q: k2 })), offer("A", { p: send("B", "x", k1), q: k2 })],
          [send("B", "x", choose("c", { a: k1, b: k2 })), choose("c", { a: send("B", "x", k1), b: k2 })]
        ] as const
        for (const [T, U] of cases) {
          expect(Check.asyncSubtype(T, U, { bound: 20 })).toMatchObject({ _tag: "NotSubtype", reason: "OutputNotAllowed" })
          for (const bound of [0, 1, 2, 3]) expect(Check.asyncSubtype(T, U, { bound })._tag).not.toBe("Subtype")
        }
        // Without the branch that lacks it, the choice is fine.
        expect(Check.asyncSubtype(send("B", "x", choose("c", { a: k1 })), cases[1][1], { bound: 20 })._tag).toBe("Subtype")
      }),
      { numRuns: 200 }
    )
  })

  it("at the exact bound with choices: the send moves past a choice and a send to another peer", () => {
    const U = choose("c", { a: send("C", "l1", send("B", "x")), b: send("C", "l2", send("B", "x")) })
    const T = send("B", "x", choose("c", { a: send("C", "l1"), b: send("C", "l2") }))
    expect(Check.asyncSubtype(T, U, { bound: 2 })._tag).toBe("Subtype")
    expect(Check.asyncSubtype(T, U, { bound: 1 })).toMatchObject({ _tag: "Undecided", bound: 1 })
  })
})
