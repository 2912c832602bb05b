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

export type { SessionOptions, SessionRetryOptions } from "../runtime/Session.js"

/**
 * An implementation of every role that needs no service but the transport (handlers that
 * return plain values, or Effects that require nothing).
 *
 * @category models
 */
export type Implementations<P extends Any> = {
  readonly [R in Roles<P>]: Implementation<P, R, unknown, unknown, never>
}

/** The results of a session, by role; for a family (`F`), its members' results in index order. @category models */
export type Results<I, F extends string = never> = { readonly [R in keyof I]: R extends F ? ReadonlyArray<Success<I[R]>> : Success<I[R]> }

/**
 * What the promise of a failed session rejects with: the tagged error of the role that failed
 * (a handler's own error, or a `RoleError`: `PeerFailed`, `Timeout`, `TransportError`...),
 * to tell apart by `_tag`.
 *
 * @category models
 */
export type Rejection<I> = Failure<I[keyof I]> | RoleError

/** Options of `runPromise`: those of `Session.run`, a transport and an `AbortSignal`. @category models */
export interface RunOptions extends Session.SessionOptions, RunPromiseOptions {}

/** Options of `retryPromise`: those of `Session.retry`, a transport and an `AbortSignal`. @category models */
export interface RetryOptions extends Session.SessionRetryOptions, RunPromiseOptions {}

/**
 * Runs every role of `protocol` (as `Session.run`) and resolves with each role's result. The
 * roles talk over `options.transport`, or a fresh in-memory transport. A failed session
 * rejects with the error itself, not a wrapper: the tagged error (`Rejection<I>`) of the role
 * that failed, or the defect (a thrown exception) of one; an aborted `signal` rejects with
 * its reason.
 *
 * @example
 * ```ts
 * import { Protocol, Role, Session } from "quadrille/promise"
 *
 * const results = await Session.runPromise(PingPong, { A: ping, B: pong })
 * ```
 *
 * @category running
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
 */
export const retryPromise = <P extends Any, const I extends Implementations<P>>(
  protocol: P,
  implementations: I,
  options: RetryOptions
): Promise<Results<I, Families<P>>> => {
  const { signal, transport, ...rest } = options
  return run(withTransport(Session.retry(protocol, implementations, rest), transport), signal) as Promise<Results<I, Families<P>>>
}
