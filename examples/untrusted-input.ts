/**
 * Untrusted input: TwoPhaseCommit while a hostile peer throws frames at the Participant.
 *
 *   Coordinator -> Participant : PrepareRequest      (meanwhile: garbage, see below)
 *   Participant -> Coordinator : PrepareResponse
 *   choice 'outcome' at Coordinator { commit: CommitRequest, CommitAck | abort: AbortRequest, AbortAck }
 *
 * `Memory.inject` stands in for a network: every frame is decoded with the one `Envelope`
 * schema first. Frames that are no envelope (null, a number for a label, a Symbol, a 1 MB
 * label) are rejected and recorded, and the session goes on as if they never came. A frame
 * that is an envelope but lies (a CommitRequest before its time) fails the Participant with a
 * `ProtocolViolation` that says what it expected; its Coordinator is stopped too, nothing hangs,
 * and the transport keeps nothing of the session afterwards.
 */
import { Effect } from "effect"
import { Memory, Session, TraceSink, Transport, type TransportService } from "../src/index.js"
import { coordinator, participant, TwoPhaseCommit } from "./two-phase-commit.js"

/** Frames that are not envelopes at all. */
const garbage = (session: string): ReadonlyArray<unknown> => [
  null,
  "PrepareRequest",
  { session, from: "Coordinator", to: "Participant", label: 42, site: "0", loops: {}, seq: 0, payload: {} },
  { session, from: Symbol("Coordinator"), to: "Participant", label: "PrepareRequest", site: "0", loops: {}, seq: 0, payload: {} },
  { session, from: "Coordinator", to: "Participant", label: "L".repeat(1_000_000), site: "0", loops: {}, seq: 0, payload: {} }
]

/** The in-memory transport, with `attack` run just before the Coordinator's PrepareRequest goes out. */
const attacked = (memory: Memory.MemoryTransport, attack: () => void): TransportService => ({
  ...memory,
  send: (e) => Effect.suspend(() => (e.label === "PrepareRequest" && attack(), memory.send(e)))
})

const roles = { Coordinator: coordinator(7), Participant: participant("commit") }

export const main = Effect.gen(function*() {
  // Garbage only: the session completes, every frame is rejected and recorded.
  const [survived, events] = yield* TraceSink.recording(Effect.gen(function*() {
    const memory = yield* Memory.make
    const result = yield* Session.run(TwoPhaseCommit, roles, { sessionId: "g" }).pipe(
      Effect.provideService(Transport, attacked(memory, () => garbage("g").forEach((f) => memory.inject(f))))
    )
    return { outcome: result.Coordinator.outcome, stats: memory.stats() }
  }))
  const rejected = events.filter((e) => e._tag === "Reject").map((e) => e.reason ?? "")

  // A frame that decodes but lies: a typed failure that names what was expected.
  const memory = yield* Memory.make
  const lie = { session: "l", from: "Coordinator", to: "Participant", label: "CommitRequest", site: "2.commit.0", loops: {}, seq: 0, payload: { transactionId: 7 } }
  const failure = yield* Effect.flip(Session.run(TwoPhaseCommit, roles, { sessionId: "l" }).pipe(
    Effect.provideService(Transport, attacked(memory, () => memory.inject(lie)))
  ))
  return { survived, rejected, failure: { tag: failure._tag, message: failure.message }, afterwards: memory.stats() }
})

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main).then((r) => console.log(JSON.stringify(r, null, 2)))
}
