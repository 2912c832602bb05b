import { it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { describe, expect } from "vitest"
import { Protocol, Role, Session } from "../src/index.js"
import { BidRounds, ParallelProposals } from "./fixtures/protocols.js"

type Seen = { readonly seen: ReadonlyArray<number>; readonly decided: number }
const start: Seen = { seen: [], decided: -1 }

describe("parallel: concurrent branches and the barrier", () => {
  it.effect("every node hears every proposal before the decision, which is the largest", () =>
    Effect.gen(function*() {
      const proposer = (value: number) => ({
        send: { M: () => value },
        recv: { M: (s: Seen, v: number) => ({ ...s, seen: [...s.seen, v] }), Z: (s: Seen, d: number) => ({ ...s, decided: d }) }
      })
      const n1 = Role.implement(ParallelProposals, "N1", {
        send: { M: () => 5, Z: (s) => Math.max(5, ...s.seen) },
        recv: { M: (s, v) => ({ ...s, seen: [...s.seen, v] }) }
      }, start)
      const n2 = Role.implement(ParallelProposals, "N2", proposer(9), start)
      const n3 = Role.implement(ParallelProposals, "N3", proposer(7), start)
      for (let i = 0; i < 20; i++) {
        const r = yield* Session.run(ParallelProposals, { N1: n1, N2: n2, N3: n3 }, { validate: true })
        expect([...r.N1.seen].sort()).toEqual([7, 9])
        expect([...r.N2.seen].sort()).toEqual([5, 7])
        expect(r.N2.decided).toBe(9)
        expect(r.N3.decided).toBe(9)
      }
    }))

  it.effect("messages of different branches between the same two roles never mix", () =>
    Effect.gen(function*() {
      const N = Schema.Number
      const Lanes = Protocol.make("Lanes", { roles: ["A", "B"], messages: { M: N, K: N } }, (g) =>
        g.parallel(
          (b) => b.msg("A", "B", "M").msg("A", "B", "M").msg("B", "A", "K"),
          (b) => b.msg("A", "B", "M").msg("B", "A", "K")
        ))
      let next = 0
      const a = Role.implement(Lanes, "A", { send: { M: () => next++ }, recv: { K: (s, k) => [...s, k] } }, [] as ReadonlyArray<number>)
      // B answers each branch with the sum of what it received on that branch's lane.
      const b = Role.program(Lanes, "B", (ch) =>
        Effect.gen(function*() {
          const { next: end, results } = yield* ch.parallel(
            (b0) =>
              Effect.gen(function*() {
                const [x, c1] = yield* b0.recv("A", "M")
                const [y, c2] = yield* c1.recv("A", "M")
                return yield* (yield* c2.send("A", "K", x + y)).close([x, y])
              }),
            (b1) =>
              Effect.gen(function*() {
                const [z, c1] = yield* b1.recv("A", "M")
                return yield* (yield* c1.send("A", "K", z)).close([z])
              })
          )
          return yield* end.close(results)
        }))
      const r = yield* Session.run(Lanes, { A: a, B: b })
      const [first, second] = r.B
      expect([...first, ...second].sort()).toEqual([0, 1, 2])
      expect(first).toHaveLength(2)
      expect(second).toHaveLength(1)
      expect([...r.A].sort()).toEqual([first[0] + first[1], second[0]].sort())
    }))

  it.effect("a parallel inside rounds: each round's branches stay apart from the next round's", () =>
    Effect.gen(function*() {
      let bids = 0
      const auctioneer = Role.implement(BidRounds, "A", {
        send: { Z: () => 0, M: (s) => Math.max(...s), Fin: (s) => s.length },
        recv: { K: (s, k) => [...s, k] }
      }, [] as ReadonlyArray<number>)
      const bidder = {
        send: { K: (s: { last: number }) => s.last + 1 + bids++ },
        recv: {
          M: (s: { last: number; bids: number }, m: number) => ({ ...s, last: m }),
          Fin: (s: { last: number; bids: number }, n: number) => ({ ...s, bids: n })
        }
      }
      const quiet = Role.implement(BidRounds, "B3", { send: { K: () => 0 }, recv: { Fin: (_, n) => n } }, 0)
      const b1 = Role.implement(BidRounds, "B1", bidder, { last: 0, bids: 0 })
      const b2 = Role.implement(BidRounds, "B2", bidder, { last: 0, bids: 0 })
      const r = yield* Session.run(BidRounds, { A: auctioneer, B1: b1, B2: b2, B3: quiet }, {
        params: { rounds: 4 }
      })
      expect(r.A).toHaveLength(12)
      expect(r.B3).toBe(12)
      expect(r.B1.bids).toBe(12)
      expect(r.B1.last).toBe(r.B2.last)
    }))

  it("a branch may not end the protocol, and a parallel needs branches", () => {
    const N = Schema.Number
    const bad = Protocol.makeEither("EndInBranch", { roles: ["A", "B"], messages: { M: N } }, (g) =>
      g.parallel((b) => b.msg("A", "B", "M").end(), (b) => b.msg("B", "A", "M")))
    expect(Either.isLeft(bad) && bad.left.rule).toBe("EndInParallel")
    expect(Either.isLeft(bad) && bad.left.message).toContain("end() at site 0.0.1 is inside a branch of the parallel at site 0")
    const waits = Protocol.makeEither("WaitsOnItself", { roles: ["A", "B"], messages: { M: N } }, (g) =>
      g.loop("L", (l) =>
        l.msg("A", "B", "M").parallel(
          (b) => b.msg("A", "B", "M").choice("A", "c", { again: (c) => (c as never as typeof l).recur("L"), stop: (c) => c }),
          (b) => b.msg("B", "A", "M")
        ).choice("A", "d", { again: (c) => c.recur("L"), stop: (c) => c })))
    expect(Either.isLeft(waits) && waits.left.rule).toBe("RecurAcrossBarrier")
    expect(Either.isLeft(waits) && waits.left.message).toContain(
      "recur('L') at site 0.1.0.1.again.0 is inside a branch of the parallel at site 0.1: the branch would wait for loop 'L' to go round, and the loop waits for the branch to end (the barrier), so the role would wait on itself."
    )
    const empty = Protocol.makeEither("NoBranches", { roles: ["A", "B"], messages: { M: N } }, (g) => g.parallel().msg("A", "B", "M"))
    expect(Either.isLeft(empty)).toBe(true)
  })
})

describe("parallel branches share the role's state without losing updates", () => {
  it.live("receive handlers that answer with Effects, in concurrent branches", () =>
    Effect.gen(function*() {
      const P = Protocol.make("Fanin", { roles: ["A", "B", "C"], messages: { M: Schema.Number } }, (g) =>
        g.parallel((b) => b.msg("B", "A", "M"), (b) => b.msg("C", "A", "M")))
      const a = Role.implement(P, "A", {
        recv: { M: (s: ReadonlyArray<number>, m: number) => Effect.as(Effect.sleep("10 millis"), [...s, m]) }
      }, [] as ReadonlyArray<number>)
      const b = Role.implement(P, "B", { send: { M: () => 1 } }, null)
      const c = Role.implement(P, "C", { send: { M: () => 2 } }, null)
      const r = yield* Session.run(P, { A: a, B: b, C: c })
      expect([...r.A].sort()).toEqual([1, 2])
    }))
})

describe("a generated role whose sends are all inside parallel branches", () => {
  it.effect("a missing handler there is found before the session starts", () =>
    Effect.gen(function*() {
      const P: Protocol.Any = ParallelProposals
      const n1 = Role.implement(P, "N1", { send: { Z: () => 0 } }, null)
      const e = yield* Effect.flip(
        Session.run(P, {
          N1: n1,
          N2: Role.implement(P, "N2", { send: { M: () => 1 } }, null),
          N3: Role.implement(P, "N3", { send: { M: () => 1 } }, null)
        })
      )
      expect(e).toMatchObject({ _tag: "ImplementationError", role: "N1" })
      expect(e.message).toContain("missing handlers send.M")
    }))
})
