/**
 * `Offered.match`, the exhaustive handling of what `offer()` gave (type-tests/endpoint-errors.ts
 * checks what does not compile, in loops too): in a real session it runs the handler of the
 * label that came; a label without a handler, reached past the types, is a defect naming it.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Offered, Role, Session } from "../src/index.js"
import { coordinator, TwoPhaseCommit } from "../examples/two-phase-commit.js"

const participant = Role.program(TwoPhaseCommit, "Participant", (ch) =>
  Effect.gen(function*() {
    const [req, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    const c2 = yield* c1.send("Coordinator", "PrepareResponse", { vote: req.transactionId % 2 === 0 ? "commit" : "abort" })
    const branch = yield* c2.offer()
    return yield* Offered.match(branch, {
      CommitRequest: (b) => Effect.flatMap(b.next.send("Coordinator", "CommitAck", {}), (end) => end.close(`committed ${req.transactionId}`)),
      AbortRequest: (b) => Effect.flatMap(b.next.send("Coordinator", "AbortAck", {}), (end) => end.close(`aborted ${req.transactionId}`))
    })
  }))

describe("Offered.match", () => {
  it("runs the handler of the label that came", async () => {
    const even = await Effect.runPromise(Session.run(TwoPhaseCommit, { Coordinator: coordinator(42), Participant: participant }))
    const odd = await Effect.runPromise(Session.run(TwoPhaseCommit, { Coordinator: coordinator(7), Participant: participant }))
    expect(even.Participant).toBe("committed 42")
    expect(odd.Participant).toBe("aborted 7")
  })

  it("a label with no handler, reached past the types, dies naming it", () => {
    const offered = { label: "toString", payload: 0, next: undefined } as never
    expect(() => Offered.match(offered, {} as never)).toThrow(/branch toString is not handled/)
  })
})
