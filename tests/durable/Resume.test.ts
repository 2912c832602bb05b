import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Memory } from "../../src/index.js"
import { coordinator, participant, TwoPhaseCommit } from "../../examples/two-phase-commit.js"
import { runDurable } from "../fixtures/durable.js"

const impls = { Coordinator: coordinator(7), Participant: participant("commit") }

describe("Role.resume on memory Storage", () => {
  it("runs TwoPhaseCommit durably without a crash", async () => {
    const r = await Effect.runPromise(runDurable(TwoPhaseCommit, impls, { sessionId: "s" }).pipe(Effect.provide(Memory.layer)))
    expect(r.results).toEqual({ Coordinator: { transactionId: 7, vote: "commit", outcome: "committed" }, Participant: { transactionId: 7, applied: "committed" } })
    expect(r.commits).toEqual({ Coordinator: 3, Participant: 2 })
  })
  for (const when of ["before-send", "after-commit"] as const) {
    for (const role of ["Coordinator", "Participant"]) {
      for (let at = 1; at <= 4; at++) {
        it(`${role} crashes ${when} at commit ${at}`, async () => {
          const r = await Effect.runPromise(runDurable(TwoPhaseCommit, impls, { sessionId: "s", crash: { role, at, when } }).pipe(Effect.provide(Memory.layer), Effect.timeout(5000)))
          expect(r.crashed).toBe(at <= (role === "Coordinator" ? 3 : 2))
          expect(r.results).toEqual({ Coordinator: { transactionId: 7, vote: "commit", outcome: "committed" }, Participant: { transactionId: 7, applied: "committed" } })
        })
      }
    }
  }
})
