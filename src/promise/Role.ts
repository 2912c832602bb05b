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

export * from "../runtime/Role.js"

/**
 * Options of `runPromise`: those of `Role.run` (the session id is required: every role of one
 * session uses the same), the transport (required: the peers are on it) and an `AbortSignal`.
 *
 * @category models
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
 * @example
 * ```ts
 * const transport = Memory.unsafeMake()
 * const [a, b] = await Promise.all([
 *   Role.runPromise(PingPong, "A", ping, { sessionId: "s1", transport }),
 *   Role.runPromise(PingPong, "B", pong, { sessionId: "s1", transport })
 * ])
 * ```
 *
 * @category running
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
