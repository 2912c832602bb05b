/**
 * `Session` of `quadrille/fp-ts`: `Session.run` and `Session.retry` as fp-ts `TaskEither`s.
 *
 * @since 0.1.0
 */
import type { TaskEither } from "fp-ts/lib/TaskEither.js"
import type { MaxRetriesExceeded } from "../effects/errors.js"
import type { Any, Families } from "../protocol/Protocol.js"
import * as Session from "../runtime/Session.js"
import { withTransport } from "../promise/run.js"
import type { Implementations, Rejection, Results, RetryOptions, RunOptions } from "../promise/Session.js"
import { toTaskEither } from "./run.js"

export type { Implementations, Rejection, Results, RetryOptions, RunOptions } from "../promise/Session.js"

/**
 * A task that runs every role of `protocol` (as `Session.run`), over `options.transport` or
 * a fresh in-memory transport: `Right` of each role's result, or `Left` of the tagged error of
 * the role that failed. Each call of the task is a new session.
 *
 * @example
 * ```ts
 * const run = Session.runTask(PingPong, { A: ping, B: pong })
 * const answer = await run() // Either<Rejection, { A: ..., B: ... }>
 * ```
 *
 * @category running
 */
export const runTask = <P extends Any, const I extends Implementations<P>>(
  protocol: P,
  implementations: I,
  options: RunOptions = {}
): TaskEither<Rejection<I>, Results<I, Families<P>>> => {
  const { signal, transport, ...rest } = options
  return toTaskEither(withTransport(Session.run(protocol, implementations, rest), transport), signal) as never
}

/**
 * `Session.retry` as a `TaskEither` (see `runTask`): `Left` of `MaxRetriesExceeded` when the
 * schedule allows no more attempts.
 *
 * @category running
 */
export const retryTask = <P extends Any, const I extends Implementations<P>>(
  protocol: P,
  implementations: I,
  options: RetryOptions
): TaskEither<Rejection<I> | MaxRetriesExceeded, Results<I, Families<P>>> => {
  const { signal, transport, ...rest } = options
  return toTaskEither(withTransport(Session.retry(protocol, implementations, rest), transport), signal) as never
}
