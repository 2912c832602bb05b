/**
 * Sessions: every role of a protocol run together in one process.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { ImplementationError, type RoleError } from "../effects/errors.js"
import { TraceSink } from "../effects/TraceSink.js"
import { Transport } from "../effects/Transport.js"
import * as Memory from "../handlers/memory.js"
import type { Any, Roles } from "../protocol/Protocol.js"
import { Channel } from "./channel.js"
import type { Failure, Implementation, Requirements, Success } from "./Role.js"

/**
 * One implementation per role of `P`.
 *
 * @category models
 */
export type Implementations<P extends Any> = {
  readonly [R in Roles<P>]: Implementation<P, R, unknown, unknown, unknown>
}

/**
 * Options of `Session.run`.
 *
 * @category models
 */
export interface SessionOptions {
  /** The session id (default: a random UUID). */
  readonly sessionId?: string | undefined
  /** Decode received payloads with their Schemas (default: when the transport serialises). */
  readonly validate?: boolean | undefined
  /** Session parameters given to every role: the number of rounds of each `repeat`, by its name. */
  readonly params?: Readonly<Record<string, number>> | undefined
}

/**
 * Runs every role of `protocol` concurrently and returns each role's result. The roles talk
 * over the `Transport` in context, or over a fresh in-memory transport when there is none.
 * If one role fails, the others are interrupted and the session fails with that error.
 *
 * @example
 * ```ts
 * const results = yield* Session.run(PingPong, { A: ping, B: pong })
 * ```
 *
 * @category running
 */
export const run = <P extends Any, const I extends Implementations<P>>(
  protocol: P,
  implementations: I,
  options: SessionOptions = {}
): Effect.Effect<
  { readonly [R in keyof I]: Success<I[R]> },
  Failure<I[keyof I]> | RoleError,
  Requirements<I[keyof I]>
> =>
  Effect.gen(function*() {
    const provided = yield* Effect.serviceOption(Transport)
    const transport = Option.isSome(provided) ? provided.value : yield* Memory.make
    const sessionId = options.sessionId ?? crypto.randomUUID()
    const validate = options.validate ?? transport.serialises
    const trace = Option.getOrUndefined(yield* Effect.serviceOption(TraceSink))
    const impls = implementations as unknown as Record<string, Implementation<Any, string, unknown, unknown, unknown>>
    const runs: Record<string, Effect.Effect<unknown, unknown, unknown>> = {}
    for (const role of protocol.roles) {
      const impl = impls[role]
      if (impl === undefined || impl.role !== role || impl.protocol !== protocol) {
        return yield* Effect.fail(
          new ImplementationError({
            protocol: protocol.name,
            role,
            site: "",
            message: impl === undefined
              ? `Session.run(${protocol.name}): no implementation for role ${role}`
              : `Session.run(${protocol.name}): the implementation given for ${role} is for ${impl.role} of ${impl.protocol.name}`
          })
        )
      }
      runs[role] = impl.run(new Channel(protocol, role, sessionId, transport, validate, options.params, "", trace))
    }
    return yield* Effect.all(runs, { concurrency: "unbounded" })
  }) as never
