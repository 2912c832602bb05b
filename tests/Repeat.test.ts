import { it } from "@effect/vitest"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { Role, Session } from "../src/index.js"
import { FixedRounds } from "./fixtures/protocols.js"

const a = Role.implement(FixedRounds, "A", {
  send: { Z: () => 0, M: (s) => s.length, Fin: (s) => s.length },
  recv: { K: (s, k) => [...s, k] }
}, [] as ReadonlyArray<number>)
const b = Role.implement(FixedRounds, "B", { send: { K: (s) => s * 10 }, recv: { M: (_, m) => m } }, -1)
const c = Role.implement(FixedRounds, "C", { recv: { Z: (s) => s, Fin: (_, n) => n } }, -1)

describe("repeat: a fixed number of rounds, a session parameter", () => {
  it.effect("every role goes round exactly `rounds` times; a role not in the rounds waits for what follows", () =>
    Effect.gen(function*() {
      for (const rounds of [0, 1, 5]) {
        const r = yield* Session.run(FixedRounds, { A: a, B: b, C: c }, { params: { rounds } })
        expect(r.A).toEqual(Array.from({ length: rounds }, (_, i) => i * 10))
        expect(r.C).toBe(rounds)
      }
    }))

  it.effect("a hand-written role goes round with round()", () =>
    Effect.gen(function*() {
      const handB = Role.program(FixedRounds, "B", (ch) =>
        Effect.gen(function*() {
          const seen: Array<string> = []
          let at = ch
          for (;;) {
            const r = yield* at.round()
            if (r.label === "done") return yield* r.next.close(seen)
            const [m, c1] = yield* r.next.recv("A", "M")
            seen.push(`round ${r.round}: ${m}`)
            at = yield* c1.send("A", "K", m)
          }
        }))
      const r = yield* Session.run(FixedRounds, { A: a, B: handB, C: c }, { params: { rounds: 3 } })
      expect(r.B).toEqual(["round 0: 0", "round 1: 1", "round 2: 2"])
      expect(r.A).toEqual([0, 1, 2])
    }))

  it.effect("without the session parameter the roles that go round fail with a named error", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Session.run(FixedRounds, { A: a, B: b, C: c }))
      expect(e).toMatchObject({ _tag: "ImplementationError", site: "1" })
      expect(e.message).toMatch(/needs the session parameter 'rounds' \(a whole number of rounds\) for repeat at site 1/)
    }))
})
