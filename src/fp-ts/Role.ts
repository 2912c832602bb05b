/**
 * `Role` of `quadrille/fp-ts`: everything of `Role` (`implement`, `program`, ...), and
 * `Role.run` as an fp-ts `TaskEither`.
 *
 * @since 0.1.0
 */
import type { TaskEither } from "fp-ts/lib/TaskEither.js"
import type { RoleError } from "../effects/errors.js"
import type { Any, Roles } from "../protocol/Protocol.js"
import type { RunPromiseOptions } from "../promise/Role.js"
import { withTransport } from "../promise/run.js"
import * as Role from "../runtime/Role.js"
import { toTaskEither } from "./run.js"

/**
 * @since 0.1.0
 */
export * from "../runtime/Role.js"
export type {
  /** @since 0.1.0 */
  RunPromiseOptions as RunTaskOptions
} from "../promise/Role.js"

/**
 * A task that runs one role of a session over `options.transport` (as `Role.run`): `Right` of
 * its result, or `Left` of its tagged error (the handler's own, or a `RoleError`).
 *
 * @category running
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as E from "fp-ts/lib/Either.js"
 * import { Memory, Protocol, Role } from "quadrille/fp-ts"
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
 * const tasks = [
 *   Role.runTask(PingPong, "A", ping, { sessionId: "s-1", transport }),
 *   Role.runTask(PingPong, "B", pong, { sessionId: "s-1", transport })
 * ]
 * assert.deepStrictEqual(await Promise.all(tasks.map((task) => task())), [E.right(2), E.right(1)])
 * ```
 *
 * @since 0.1.0
 */
export const runTask = <P extends Any, R extends Roles<P>, A, E>(
  protocol: P,
  role: R,
  implementation: Role.Implementation<P, R, A, E, never>,
  options: RunPromiseOptions
): TaskEither<E | RoleError, A> => {
  const { signal, transport, ...rest } = options
  return toTaskEither(withTransport(Role.run(protocol, role, implementation, rest), transport), signal) as never
}
