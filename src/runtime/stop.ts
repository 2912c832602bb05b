/**
 * Stopping a session or a role from outside: the way a server (a protocol with a `forever`
 * loop) ends.
 *
 * @internal
 */
import { Effect } from "effect"
import { Stopped } from "../effects/errors.js"

/** The error of an `Effect` run with a `stop` option: `Stopped` when the options give one. */
export type StopError<O> = O extends { readonly stop: Effect.Effect<unknown> } ? Stopped : never

/**
 * `effect`, or, when `stop` completes first, the failure `Stopped` (and `effect` is
 * interrupted). `running` says which roles were still running then; when none was (every
 * role had ended, its result on the way), the run ends with its own result.
 */
export const untilStopped = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  stop: Effect.Effect<unknown> | undefined,
  protocol: string,
  session: string,
  running: () => ReadonlyArray<string>
): Effect.Effect<A, E | Stopped, R> =>
  stop === undefined ? effect : Effect.raceFirst(
    effect,
    Effect.flatMap(stop, () =>
      Effect.suspend(() => {
        const roles = running()
        // Every role had ended when the stop came (the run's result is on its way): that
        // result, not a `Stopped` naming nobody.
        if (roles.length === 0) return Effect.never
        return Effect.fail(
          new Stopped({
            protocol,
            session,
            roles,
            message: `session ${session} of ${protocol} was stopped${roles.length > 0 ? ` while ${roles.join(", ")} ${roles.length === 1 ? "was" : "were"} running` : ""}`
          })
        )
      }))
  )
