/**
 * `Role` of `quadrille/promise`: everything of `Role` (`implement`, `program`, ...), and
 * `Role.run` as a function that returns a `Promise`, for one role of a session whose other
 * roles run elsewhere.
 *
 * @since 0.1.0
 */
import type { Layer } from "effect"
import type { Transport, TransportService } from "../effects/Transport.js"
import type { Any, Roles } from "../protocol/Protocol.js"
import * as Role from "../runtime/Role.js"
import { runPromise as run, type RunPromiseOptions as Common, withTransport } from "./run.js"

/**
 * @since 0.1.0
 */
export * from "../runtime/Role.js"

/**
 * Options of `runPromise`: those of `Role.run` (the session id is required: every role of one
 * session uses the same), the transport (required: the peers are on it) and an `AbortSignal`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Memory, Protocol, Role } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const transport = Memory.unsafeMake()
 * const options = (signal: AbortSignal): Role.RunPromiseOptions => ({ sessionId: "s-1", transport, signal, receiveTimeout: "5 seconds" })
 * const controller = new AbortController()
 * const results = await Promise.all([
 *   Role.runPromise(PingPong, "A", ping, options(controller.signal)),
 *   Role.runPromise(PingPong, "B", pong, options(controller.signal))
 * ])
 * assert.deepStrictEqual(results, [2, 1])
 * ```
 *
 * @since 0.1.0
 */
export interface RunPromiseOptions extends Role.RunOptions, Common {
  readonly transport: TransportService | Layer.Layer<Transport, unknown, never>
}

/**
 * Runs one role of a session over `options.transport` (as `Role.run`) and resolves with its
 * result. A failed role rejects with its tagged error itself (a handler's own error, or a
 * `RoleError` such as `PeerFailed`), or the defect (a thrown exception) of a handler; an
 * aborted `signal` rejects with its reason.
 *
 * @category running
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Memory, Protocol, Role } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * // Each role on its own (here both in one process, over one in-memory transport).
 * const transport = Memory.unsafeMake()
 * const [a, b] = await Promise.all([
 *   Role.runPromise(PingPong, "A", ping, { sessionId: "s-1", transport }),
 *   Role.runPromise(PingPong, "B", pong, { sessionId: "s-1", transport })
 * ])
 * assert.deepStrictEqual([a, b], [2, 1])
 * ```
 *
 * @since 0.1.0
 */
export const runPromise = <P extends Any, R extends Roles<P>, A, E>(
  protocol: P,
  role: R,
  implementation: Role.Implementation<P, R, A, E, never>,
  options: RunPromiseOptions
): Promise<A> => {
  const { signal, transport, ...rest } = options
  return run(withTransport(Role.run(protocol, role, implementation, rest), transport), signal) as Promise<A>
}
