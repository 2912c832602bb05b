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

export type {
  /** @since 0.1.0 */
  Implementations,
  /** @since 0.1.0 */
  Rejection,
  /** @since 0.1.0 */
  Results,
  /** @since 0.1.0 */
  RetryOptions,
  /** @since 0.1.0 */
  RunOptions
} from "../promise/Session.js"

/**
 * A task that runs every role of `protocol` (as `Session.run`), over `options.transport` or
 * a fresh in-memory transport: `Right` of each role's result, or `Left` of the tagged error of
 * the role that failed. Each call of the task is a new session.
 *
 * @category running
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as E from "fp-ts/lib/Either.js"
 * import { Protocol, Role, Session } from "quadrille/fp-ts"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const run = Session.runTask(PingPong, { A: ping, B: pong })
 * // Each call of the task is a new session.
 * assert.deepStrictEqual(await run(), E.right({ A: 2, B: 1 }))
 * assert.deepStrictEqual(await run(), E.right({ A: 2, B: 1 }))
 * ```
 *
 * @since 0.1.0
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
 *
 * @example
 * ```ts
 * import { Schedule, Schema } from "effect"
 * import * as E from "fp-ts/lib/Either.js"
 * import { Protocol, Role, Session } from "quadrille/fp-ts"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const task = Session.retryTask(PingPong, { A: ping, B: pong }, { schedule: Schedule.recurs(2), receiveTimeout: "1 second" })
 * assert.deepStrictEqual(await task(), E.right({ A: 2, B: 1 }))
 * ```
 *
 * @since 0.1.0
 */
export const retryTask = <P extends Any, const I extends Implementations<P>>(
  protocol: P,
  implementations: I,
  options: RetryOptions
): TaskEither<Rejection<I> | MaxRetriesExceeded, Results<I, Families<P>>> => {
  const { signal, transport, ...rest } = options
  return toTaskEither(withTransport(Session.retry(protocol, implementations, rest), transport), signal) as never
}
