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

export * from "../runtime/Role.js"
export type { RunPromiseOptions as RunTaskOptions } from "../promise/Role.js"

/**
 * A task that runs one role of a session over `options.transport` (as `Role.run`): `Right` of
 * its result, or `Left` of its tagged error (the handler's own, or a `RoleError`).
 *
 * @category running
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
