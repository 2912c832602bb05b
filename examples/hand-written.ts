/**
 * Hand-written roles with typed, linear endpoints (`Role.program`), run against generated
 * ones (`Role.implement`) in the same session.
 *
 * TwoPhaseCommit's Participant and DataStreaming's Consumer are written by hand: every
 * operation returns the endpoint of what follows; the compiler rejects an operation the
 * protocol does not allow at that point, and the program must end with `close()`.
 */
import { Effect } from "effect"
import { Role, Session } from "../src/index.js"
import { coordinator, TwoPhaseCommit } from "./two-phase-commit.js"
import { DataStreaming, producer } from "./streaming.js"

/** Votes commit for even transaction ids; returns what it applied. */
export const participant = Role.program(TwoPhaseCommit, "Participant", (ch) =>
  Effect.gen(function*() {
    const [req, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
    const c2 = yield* c1.send("Coordinator", "PrepareResponse", { vote: req.transactionId % 2 === 0 ? "commit" : "abort" })
    const branch = yield* c2.offer()
    switch (branch.label) {
      case "CommitRequest": {
        const end = yield* branch.next.send("Coordinator", "CommitAck", {})
        return yield* end.close(`committed ${branch.payload.transactionId}`)
      }
      case "AbortRequest": {
        const end = yield* branch.next.send("Coordinator", "AbortAck", {})
        return yield* end.close(`aborted ${branch.payload.transactionId}`)
      }
    }
  }))

/** Reassembles a stream; the loop of the protocol is a loop of the program. */
export const consumer = Role.program(DataStreaming, "Consumer", (ch) =>
  Effect.gen(function*() {
    const [init, c1] = yield* ch.recv("Producer", "StreamInit")
    const c2 = yield* c1.send("Producer", "StreamAck", {})
    const [first, c3] = yield* c2.recv("Producer", "DataChunk")
    const data = [first.data]
    let next = yield* c3.send("Producer", "ChunkAck", { index: first.index })
    for (;;) {
      const offered = yield* next.offer()
      if (offered.label === "StreamEnd") {
        const end = yield* offered.next.send("Producer", "StreamComplete", { chunks: data.length })
        return yield* end.close({ streamId: init.streamId, text: data.join("") })
      }
      data.push(offered.payload.data)
      next = yield* offered.next.send("Producer", "ChunkAck", { index: offered.payload.index })
    }
  }))

export const main = Effect.gen(function*() {
  const even = yield* Session.run(TwoPhaseCommit, { Coordinator: coordinator(42), Participant: participant })
  const odd = yield* Session.run(TwoPhaseCommit, { Coordinator: coordinator(7), Participant: participant })
  const stream = yield* Session.run(DataStreaming, {
    Producer: producer("by-hand", ["typed ", "linear ", "endpoints"]),
    Consumer: consumer
  })
  return { even, odd, stream }
})

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main).then((r) => console.log(JSON.stringify(r, null, 2)))
}
