/**
 * Running an Effect of the library for callers that do not write Effect code: the transport to
 * run over, and the error a failed run is answered with.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { Transport, type TransportService } from "../effects/Transport.js"

/**
 * What a run given from outside Effect may name: the transport and an `AbortSignal`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Memory, Protocol, Role, Session } from "quadrille/promise"
 * import type { RunPromiseOptions } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const options: RunPromiseOptions = { transport: Memory.unsafeMake(), signal: AbortSignal.timeout(10_000) }
 * assert.deepStrictEqual(await Session.runPromise(PingPong, { A: ping, B: pong }, options), { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export interface RunPromiseOptions {
  /**
   * The transport: a `TransportService` (e.g. `Memory.unsafeMake()`, shared by roles run in
   * one process) or a `Layer` that builds one for this run and closes it after (e.g.
   * `Tcp.layer(...)` of `quadrille/node`).
   */
  readonly transport?: TransportService | Layer.Layer<Transport, unknown, never> | undefined
  /** Aborting interrupts the run; the promise then rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
}

/**
 * The effect with its transport, if one is given. Its other requirements are none: the
 * signatures that call this take only implementations that need nothing else.
 *
 * @internal
 */
export const withTransport = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  transport: RunPromiseOptions["transport"]
): Effect.Effect<A, E | unknown, never> =>
  (transport === undefined
    ? effect
    : Layer.isLayer(transport)
    ? Effect.provide(effect, transport as Layer.Layer<Transport, unknown, never>)
    : Effect.provideService(effect, Transport, transport as TransportService)) as never

/**
 * The error a failed run is answered with: its first failure (a tagged error such as
 * `PeerFailed`, or a handler's own), else its first defect; `signal.reason` when the run was
 * interrupted because `signal` was aborted.
 *
 * @internal
 */
export const errorOf = (cause: Cause.Cause<unknown>, signal?: AbortSignal): unknown => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return failure.value
  if (signal?.aborted === true && Cause.isInterruptedOnly(cause)) return signal.reason
  return Cause.squash(cause)
}

/**
 * Runs `effect`; the promise resolves with its value or rejects with `errorOf` its cause.
 *
 * @internal
 */
export const runPromise = <A>(effect: Effect.Effect<A, unknown, never>, signal: AbortSignal | undefined): Promise<A> =>
  Effect.runPromiseExit(effect, signal === undefined ? undefined : { signal }).then((exit) =>
    Exit.isSuccess(exit) ? exit.value : Promise.reject(errorOf(exit.cause, signal))
  )
