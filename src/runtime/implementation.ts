/**
 * What `Role.implement` and `Role.program` make and `Role.run`, `Role.resume` and
 * `Session.run` take: its own module, so that Role.ts and program.ts both import it and
 * not each other.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { RoleError } from "../effects/errors.js"
import type { Any } from "../protocol/Protocol.js"
import type { Channel } from "./channel.js"

/**
 * A runnable role of protocol `P`: a generated implementation or a hand-written program.
 * `A` is its result, `E` its handlers' own errors, `Rq` the services they need.
 *
 * @category models
 */
export interface Implementation<out P extends Any, out R extends string, out A, out E = never, out Rq = never> {
  readonly _tag: "Implementation"
  readonly protocol: P
  readonly role: R
  /** @internal runs the role on an open channel */
  readonly run: (channel: Channel) => Effect.Effect<A, E | RoleError, Rq>
  /** @internal how `Role.resume` keeps it: by snapshots (`Role.implement` with a `state` Schema) or by its journal (`Role.program`) */
  readonly durable?: "implement" | "program" | undefined
}

/**
 * An implementation `Role.resume` can continue after a crash: a `Role.program` (replayed from
 * its journal), or a `Role.implement` given a `state` Schema (restored from its snapshot).
 *
 * @category models
 */
export interface Resumable<out P extends Any, out R extends string, out A, out E = never, out Rq = never> extends Implementation<P, R, A, E, Rq> {
  readonly durable: "implement" | "program"
}

