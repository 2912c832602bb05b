/**
 * Running an Effect of the library as an fp-ts `TaskEither`.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Option } from "effect"
import * as E from "fp-ts/lib/Either.js"
import type { TaskEither } from "fp-ts/lib/TaskEither.js"

/**
 * A task that runs `effect` each time it is called: `Right` of its value, or `Left` of its
 * failure (a tagged error). A defect (an exception thrown by a handler) or an interruption is
 * not an error of the session's type: the task's promise rejects with it, as it would from
 * a throwing `Task`.
 */
export const toTaskEither = <A, Err>(effect: Effect.Effect<A, Err, never>, signal?: AbortSignal): TaskEither<Err, A> => () =>
  Effect.runPromiseExit(effect, signal === undefined ? undefined : { signal }).then((exit) => {
    if (Exit.isSuccess(exit)) return E.right(exit.value)
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) return E.left(failure.value)
    return Promise.reject(signal?.aborted === true && Cause.isInterruptedOnly(exit.cause) ? signal.reason : Cause.squash(exit.cause))
  })
