/**
 * Durable roles (`Role.resume`): TwoPhaseCommit with both roles kept in a `Storage`, the
 * Participant stopped in the middle of the session — as a crash would stop it — and resumed
 * from its checkpoint. The session completes as if nothing had happened: the Participant does
 * not apply the PrepareRequest twice, nor lose the CommitRequest that came while it was down.
 *
 * Here the storage is in memory and the transport too (one process); across processes and
 * hosts the same code runs over `Redis.layer({ url })` from `quadrille/node`, which keeps the
 * checkpoints, the acknowledgements of frames and the frames sent in one `MULTI` per step
 * (`tests/crash` kills role processes with `kill -9` and resumes them).
 */
import { Deferred, Effect, Fiber, Option } from "effect"
import { Memory, Role, Storage, Transport } from "../src/index.js"
import { coordinator, participant, TwoPhaseCommit } from "./two-phase-commit.js"

export const main = Effect.gen(function*() {
  const storage = Storage.unsafeMakeMemory()
  const transport = yield* Memory.make
  const sessionId = "tx-42"
  const key = Storage.checkpointKey(TwoPhaseCommit.name, sessionId, "Participant")
  // The Participant is stopped right after its first commit (it has answered the PrepareRequest).
  const firstCommit = yield* Deferred.make<void>()
  const watched: Storage.StorageService = {
    ...storage,
    set: (k, v) => Effect.zipRight(storage.set(k, v), k === key ? Deferred.succeed(firstCommit, undefined) : Effect.void)
  }
  const run = <A, E, R>(effect: Effect.Effect<A, E, R>, s: Storage.StorageService) =>
    effect.pipe(Effect.provideService(Transport, transport), Effect.provideService(Storage.Storage, s))

  const coordinatorRun = yield* Effect.fork(run(Role.resume(TwoPhaseCommit, "Coordinator", coordinator(42), { sessionId }), storage))
  const first = yield* Effect.fork(run(Role.resume(TwoPhaseCommit, "Participant", participant("commit"), { sessionId }), watched))
  yield* Deferred.await(firstCommit)
  yield* Fiber.interrupt(first)
  const checkpoint = Option.getOrThrow(yield* storage.get(key))
  // Back again: from its checkpoint, not from the start.
  const participantResult = yield* run(Role.resume(TwoPhaseCommit, "Participant", participant("commit"), { sessionId }), storage)
  const coordinatorResult = yield* Fiber.join(coordinatorRun)
  return { checkpoint: JSON.parse(checkpoint) as unknown, Coordinator: coordinatorResult, Participant: participantResult }
})

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main).then((r) => console.log(JSON.stringify(r, null, 2)))
}
