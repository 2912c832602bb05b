/**
 * Retrying a session or a role: each attempt is a fresh session (its own session id), retried
 * on a `Schedule` while its error is retryable; exhaustion is `MaxRetriesExceeded`.
 *
 * @internal
 */
import { Cause, Effect, Either, Exit, Option, Schedule } from "effect"
import { isRetryable, MaxRetriesExceeded } from "../effects/errors.js"
import { Observe, spanNames } from "../effects/Observe.js"
import { attemptAttributes, observeRetry, observeSpan, type Retried } from "../internal/observe.js"
import { quote } from "../internal/bounded.js"

/**
 * Options of a retried run.
 *
 * @category models
 */
export interface RetryOptions {
  /**
   * When to try again after a retryable failure: its delays and how many retries (the
   * attempts are one more). The seed's robust coordinator, 3 attempts with 100 ms · 2^(k−1)
   * between them: `Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2)))`.
   */
  readonly schedule: Schedule.Schedule<unknown, unknown>
  /**
   * Which errors to retry (default: `isRetryable`: `Timeout`, `TransportError`,
   * `PeerUnavailable`, a retryable `PeerFailed`; a handler's own errors are not, unless this
   * says so). Others fail the run at once, as they are.
   */
  readonly while?: ((error: unknown) => boolean) | undefined
}

const tagOf = (e: unknown): string => typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : "failure"

/** The session id of attempt `k` (from 1) of the run with id `base`. */
export const attemptId = (base: string, k: number): string => `${base}#${k}`

/**
 * Runs `attempt(k)` for k = 1, 2, ... until it succeeds, fails with an error that is not to
 * be retried (returned as it is, as are defects and interruptions), or the schedule is done
 * (then `MaxRetriesExceeded` with the count and the last error). `retried` names what is
 * retried, for the attempts' spans and the retries' span events when observed.
 */
export const retrying = <A, E, R>(
  what: string,
  attempt: (k: number) => Effect.Effect<A, E, R>,
  options: RetryOptions,
  retried: Retried
): Effect.Effect<A, E | MaxRetriesExceeded, R> =>
  Effect.gen(function*() {
    const retryable = options.while ?? isRetryable
    const driver = yield* Schedule.driver(options.schedule)
    const observe = Option.getOrUndefined(yield* Effect.serviceOption(Observe))
    for (let k = 1;; k++) {
      const exit = yield* Effect.exit(
        observe === undefined ? attempt(k) : observeSpan(observe, attempt(k), spanNames.attempt, attemptAttributes(retried, attemptId(retried.session, k), k))
      )
      if (Exit.isSuccess(exit)) return exit.value
      const failure = Cause.failureOption(exit.cause)
      if (Option.isNone(failure) || !retryable(failure.value)) return yield* exit
      const next = yield* Effect.either(driver.next(failure.value))
      if (observe !== undefined && Either.isRight(next)) yield* observeRetry(observe, what, retried, attemptId(retried.session, k), k, failure.value, tagOf(failure.value))
      if (Either.isLeft(next)) {
        const last = failure.value
        const tag = tagOf(last)
        const text = typeof last === "object" && last !== null && "message" in last && typeof last.message === "string" ? last.message : quote(last)
        return yield* Effect.fail(
          new MaxRetriesExceeded({
            attempts: k,
            last,
            message: `${what} failed ${k} time${k === 1 ? "" : "s"}; the schedule allows no more attempts. Last: ${tag}: ${quote(text)}`
          })
        )
      }
    }
  })
