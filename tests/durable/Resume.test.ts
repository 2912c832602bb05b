/**
 * `Role.resume` of TwoPhaseCommit on memory `Storage`: without a crash it gives what
 * `Session.run` gives; with either role crashed at each of its commits (before the frames of
 * the commit went out, or after the commit) and resumed, the same.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Memory, Session } from "../../src/index.js"
import { coordinator, participant, TwoPhaseCommit } from "../../examples/two-phase-commit.js"
import { runDurable } from "../fixtures/durable.js"

const impls = { Coordinator: coordinator(7), Participant: participant("commit") }
const run = (crash?: Parameters<typeof runDurable>[2]["crash"]) =>
  Effect.runPromise(runDurable(TwoPhaseCommit, impls, { sessionId: "s", crash }).pipe(Effect.provide(Memory.layer), Effect.timeout(5000)))

describe("Role.resume on memory Storage", async () => {
  const expected = await Effect.runPromise(Session.run(TwoPhaseCommit, impls))
  const baseline = await run()

  it("without a crash: the results of Session.run; each role commits after its sends and at its end", () => {
    expect(baseline.results).toEqual(expected)
    expect(baseline.crashed).toBe(false)
    // Coordinator: PrepareRequest, CommitRequest, end; Participant: PrepareResponse, CommitAck, end.
    expect(baseline.commits).toEqual({ Coordinator: 3, Participant: 3 })
  })
  for (const when of ["before-send", "after-commit"] as const) {
    for (const role of ["Coordinator", "Participant"]) {
      for (let at = 1; at <= baseline.commits[role]; at++) {
        it(`${role} crashes ${when} at commit ${at} of ${baseline.commits[role]}, resumes, and the session ends as without a crash`, async () => {
          const r = await run({ role, at, when })
          expect(r.crashed).toBe(true)
          expect(r.results).toEqual(expected)
        })
      }
    }
  }
})
