/**
 * `Session` of `quadrille/promise`: `Session.run` and `Session.retry` as functions that return
 * a `Promise`.
 *
 * @since 0.1.0
 */
import type { RoleError } from "../effects/errors.js"
import type { Any, Families, Roles } from "../protocol/Protocol.js"
import type { Failure, Implementation, Success } from "../runtime/Role.js"
import * as Session from "../runtime/Session.js"
import { runPromise as run, type RunPromiseOptions, withTransport } from "./run.js"

export type {
  /** @since 0.1.0 */
  SessionOptions,
  /** @since 0.1.0 */
  SessionRetryOptions
} from "../runtime/Session.js"

/**
 * An implementation of every role that needs no service but the transport (handlers that
 * return plain values, or Effects that require nothing).
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const roles = { A: ping, B: pong } satisfies Session.Implementations<typeof PingPong>
 * assert.deepStrictEqual(await Session.runPromise(PingPong, roles), { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export type Implementations<P extends Any> = {
  readonly [R in Roles<P>]: Implementation<P, R, unknown, unknown, never>
}

/**
 * The results of a session, by role; for a family (`F`), its members' results in index order.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const results: Session.Results<{ A: typeof ping; B: typeof pong }> = await Session.runPromise(PingPong, { A: ping, B: pong })
 * assert.deepStrictEqual(results, { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export type Results<I, F extends string = never> = { readonly [R in keyof I]: R extends F ? ReadonlyArray<Success<I[R]>> : Success<I[R]> }

/**
 * What the promise of a failed session rejects with: the tagged error of the role that failed
 * (a handler's own error, or a `RoleError`: `PeerFailed`, `Timeout`, `TransportError`...),
 * to tell apart by `_tag`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * // B never answers in time: the promise rejects with the tagged error itself.
 * const slow = Role.implement(PingPong, "B", {
 *   recv: { Ping: (_, n) => n },
 *   send: { Pong: () => new Promise<number>((resolve) => setTimeout(() => resolve(0), 200)) }
 * }, 0)
 * type Roles = { A: typeof ping; B: typeof slow }
 * const error = await Session.runPromise(PingPong, { A: ping, B: slow }, { receiveTimeout: "20 millis" })
 *   .then(() => undefined, (e: Session.Rejection<Roles>) => e)
 * assert.strictEqual(error?._tag, "Timeout")
 * ```
 *
 * @since 0.1.0
 */
export type Rejection<I> = Failure<I[keyof I]> | RoleError

/**
 * Options of `runPromise`: those of `Session.run`, a transport and an `AbortSignal`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const options: Session.RunOptions = { sessionId: "s-1", receiveTimeout: "5 seconds", signal: AbortSignal.timeout(10_000) }
 * assert.deepStrictEqual(await Session.runPromise(PingPong, { A: ping, B: pong }, options), { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export interface RunOptions extends Session.SessionOptions, RunPromiseOptions {}

/**
 * Options of `retryPromise`: those of `Session.retry`, a transport and an `AbortSignal`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schedule, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const options: Session.RetryOptions = { schedule: Schedule.recurs(2), receiveTimeout: "1 second" }
 * assert.deepStrictEqual(await Session.retryPromise(PingPong, { A: ping, B: pong }, options), { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export interface RetryOptions extends Session.SessionRetryOptions, RunPromiseOptions {}

/**
 * Runs every role of `protocol` (as `Session.run`) and resolves with each role's result. The
 * roles talk over `options.transport`, or a fresh in-memory transport. A failed session
 * rejects with the error itself, not a wrapper: the tagged error (`Rejection<I>`) of the role
 * that failed, or the defect (a thrown exception) of one; an aborted `signal` rejects with
 * its reason.
 *
 * @category running
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const results = await Session.runPromise(PingPong, { A: ping, B: pong })
 * assert.deepStrictEqual(results, { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export const runPromise = <P extends Any, const I extends Implementations<P>>(
  protocol: P,
  implementations: I,
  options: RunOptions = {}
): Promise<Results<I, Families<P>>> => {
  const { signal, transport, ...rest } = options
  return run(withTransport(Session.run(protocol, implementations, rest), transport), signal) as Promise<Results<I, Families<P>>>
}

/**
 * `Session.retry` as a promise (see `runPromise`): runs the session again, as a fresh one,
 * after a retryable failure, on `options.schedule`; rejects with `MaxRetriesExceeded` when the
 * schedule allows no more attempts.
 *
 * @category running
 *
 * @example
 * ```ts
 * import { Schedule, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * // 3 attempts, 100 ms then 200 ms apart; here the first one succeeds.
 * const results = await Session.retryPromise(PingPong, { A: ping, B: pong }, {
 *   schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2))),
 *   receiveTimeout: "1 second"
 * })
 * assert.deepStrictEqual(results, { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export const retryPromise = <P extends Any, const I extends Implementations<P>>(
  protocol: P,
  implementations: I,
  options: RetryOptions
): Promise<Results<I, Families<P>>> => {
  const { signal, transport, ...rest } = options
  return run(withTransport(Session.retry(protocol, implementations, rest), transport), signal) as Promise<Results<I, Families<P>>>
}
