/**
 * The seed guide's robust coordinator: TwoPhaseCommit, retried.
 *
 *   for attempt in 1..=3:
 *     run TwoPhaseCommit as a fresh session
 *     on a retryable error (Timeout, TransportError, PeerUnavailable, a retryable PeerFailed):
 *       wait 100 ms · 2^(attempt−1), try again
 *     on any other error: fail with it
 *   then: MaxRetriesExceeded
 *
 * `Session.retry` does all of it with an Effect `Schedule`. Here the network loses every frame
 * of the first `flakyAttempts` attempts (the Coordinator's first send fails at once).
 */
import { Clock, Effect, Schedule } from "effect"
import { type Envelope, Memory, Session, Transport, TransportError, type TransportService } from "../src/index.js"
import { coordinator, participant, TwoPhaseCommit } from "./two-phase-commit.js"

/** 3 attempts, 100 ms then 200 ms apart. */
export const backoff = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2)))

/**
 * The in-memory transport, but every frame `failing` says is lost with a `TransportError`;
 * it logs when each session (attempt) sends its first frame, by the Clock.
 */
export const flaky = (failing: (session: string, envelope: Envelope) => boolean) =>
  Effect.map(Memory.make, (memory) => {
    const attempts: Array<{ readonly session: string; readonly at: number }> = []
    const transport: TransportService = {
      ...memory,
      send: (e: Envelope) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) => {
          if (!attempts.some((a) => a.session === e.session)) attempts.push({ session: e.session, at })
          return failing(e.session, e)
            ? Effect.fail(new TransportError({ role: e.from, peer: e.to, message: `link down in ${e.session}` }))
            : memory.send(e)
        })
    }
    return { transport, attempts }
  })

/** The attempt number of a session id `<id>#k`. */
const attemptOf = (session: string) => Number(session.slice(session.lastIndexOf("#") + 1))

/** Commits transaction 7 with retries over a network that fails the first `flakyAttempts` attempts. */
export const main = (flakyAttempts: number) =>
  Effect.gen(function*() {
    const { attempts, transport } = yield* flaky((session) => attemptOf(session) <= flakyAttempts)
    const start = yield* Clock.currentTimeMillis
    const outcome = yield* Effect.either(
      Session.retry(TwoPhaseCommit, { Coordinator: coordinator(7), Participant: participant("commit") }, {
        schedule: backoff,
        sessionId: "tx-7",
        receiveTimeout: "50 millis"
      }).pipe(Effect.provideService(Transport, transport))
    )
    return {
      outcome: outcome._tag === "Right" ? outcome.right.Coordinator.outcome : `${outcome.left._tag}: ${outcome.left.message}`,
      attempts: attempts.map((a) => ({ session: a.session, after: a.at - start }))
    }
  })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(Effect.all([main(2), main(3)])).then((r) => console.log(JSON.stringify(r, null, 2)))
}
