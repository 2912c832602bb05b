/**
 * Retrying a session or a role: each attempt is a fresh session (its own session id), retried
 * on a `Schedule` while its error is retryable; exhaustion is `MaxRetriesExceeded`.
 *
 * @internal
 */
import { Cause, Deferred, Effect, Either, Exit, Fiber, Option, Schedule } from "effect"
import { isRetryable, MaxRetriesExceeded, Stopped } from "../effects/errors.js"
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

/** The `Stopped` of a retried run stopped while it waited to try again after attempt `k`. */
export const stoppedBetween = (protocol: string, base: string, k: number): Stopped =>
  new Stopped({
    protocol,
    session: base,
    roles: [],
    message: `session ${base} of ${protocol} was stopped after attempt ${k}, while it waited to try again`
  })

/** The session id of attempt `k` (from 1) of the run with id `base`. */
export const attemptId = (base: string, k: number): string => `${base}#${k}`

/**
 * A stop for a whole retried run: `signal` completes it, and `between(k)` is the `Stopped` of
 * a run stopped while it waited to try again after attempt k.
 */
export interface RetryStop {
  readonly signal: Effect.Effect<unknown> | undefined
  readonly between: (k: number) => Stopped
}

/**
 * Runs `attempt(k, stop)` for k = 1, 2, ... until it succeeds, fails with an error that is
 * not to be retried (returned as it is, as are defects and interruptions), or the schedule is
 * done (then `MaxRetriesExceeded` with the count and the last error). `retried` names what is
 * retried, for the attempts' spans and the retries' span events when observed. With a `stop`,
 * its signal runs once for the whole run (an `Effect.sleep` is the run's time, not each
 * attempt's): each attempt is given a signal that completes with it, a `Stopped` is never
 * retried (whatever `while` says), and a stop while waiting between attempts ends the run
 * with `stop.between(k)`.
 */
export const retrying = <A, E, R>(
  what: string,
  attempt: (k: number, stop: Effect.Effect<unknown> | undefined) => Effect.Effect<A, E, R>,
  options: RetryOptions,
  retried: Retried,
  stop?: RetryStop
): Effect.Effect<A, E | MaxRetriesExceeded | Stopped, R> =>
  stop?.signal === undefined ? retryingUntil(what, attempt, options, retried, undefined, undefined) : Effect.flatMap(Deferred.make<void>(), (stopped) =>
    Effect.flatMap(Effect.fork(Effect.zipRight(stop.signal!, Deferred.succeed(stopped, undefined))), (watch) =>
      Effect.ensuring(retryingUntil(what, attempt, options, retried, Deferred.await(stopped), stop.between), Fiber.interrupt(watch))))

const retryingUntil = <A, E, R>(
  what: string,
  attempt: (k: number, stop: Effect.Effect<unknown> | undefined) => Effect.Effect<A, E, R>,
  options: RetryOptions,
  retried: Retried,
  stop: Effect.Effect<void> | undefined,
  between: ((k: number) => Stopped) | undefined
): Effect.Effect<A, E | MaxRetriesExceeded | Stopped, R> =>
  Effect.gen(function*() {
    const retryable = options.while ?? isRetryable
    const driver = yield* Schedule.driver(options.schedule)
    const observe = Option.getOrUndefined(yield* Effect.serviceOption(Observe))
    for (let k = 1;; k++) {
      const exit = yield* Effect.exit(
        observe === undefined
          ? attempt(k, stop)
          : observeSpan(observe, attempt(k, stop), spanNames.attempt, attemptAttributes(retried, attemptId(retried.session, k), k))
      )
      if (Exit.isSuccess(exit)) return exit.value
      const failure = Cause.failureOption(exit.cause)
      if (Option.isNone(failure) || failure.value instanceof Stopped || !retryable(failure.value)) return yield* exit
      const wait = Effect.either(driver.next(failure.value))
      const next = stop === undefined || between === undefined
        ? yield* wait
        : yield* Effect.raceFirst(wait, Effect.flatMap(stop, () => Effect.fail(between(k))))
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
