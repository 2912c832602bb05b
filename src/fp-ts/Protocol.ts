/**
 * `Protocol` of `quadrille/fp-ts`: everything of `Protocol`, with `makeEither` answering an
 * fp-ts `Either` (`Left` of the `ProjectionError`) instead of Effect's.
 *
 * @since 0.1.0
 */
import { Either as EffectEither } from "effect"
import * as E from "fp-ts/lib/Either.js"
import type { ProjectionError } from "../effects/errors.js"
import * as Base from "../protocol/index.js"
import type { Builder, Built, Catalogue, Protocol } from "../protocol/Protocol.js"
import type { Nil } from "../session/Global.js"

/**
 * @since 0.1.0
 */
export * from "../protocol/index.js"

/**
 * Builds a protocol as `Protocol.makeEither` does, checking it at run time only: `Right` of
 * the protocol, or `Left` of the `ProjectionError` that says why it is ill formed.
 *
 * @category constructors
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as E from "fp-ts/lib/Either.js"
 * import { Protocol, Role } from "quadrille/fp-ts"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const ok = Protocol.makeEither("Ping", { roles: ["A", "B"], messages: { Ping: Schema.Number } }, (g) => g.msg("A", "B", "Ping"))
 * assert.strictEqual(E.isRight(ok) && ok.right.name, "Ping")
 * const dup = Protocol.makeEither("Dup", { roles: ["A", "B", "A"], messages: { Ping: Schema.Number } }, (g) => g.msg("A", "B", "Ping"))
 * assert.strictEqual(E.isLeft(dup) && dup.left.rule, "DuplicateRole")
 * ```
 *
 * @since 0.1.0
 */
export const makeEither = <
  const Name extends string,
  const R extends string,
  const M extends Catalogue,
  G,
  Ms = M
>(
  name: Name,
  spec: { readonly roles: ReadonlyArray<R>; readonly messages: M },
  body: (g: Builder<R, M, never, Nil>) => Built<G, Ms>
): E.Either<ProjectionError, Protocol<Name, R, Ms extends Catalogue ? Ms : M, G>> =>
  EffectEither.match(Base.makeEither(name, spec, body), {
    onLeft: (error) => E.left(error),
    onRight: (protocol) => E.right(protocol)
  })
