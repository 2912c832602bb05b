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

export * from "../protocol/index.js"

/**
 * Builds a protocol as `Protocol.makeEither` does, checking it at run time only: `Right` of
 * the protocol, or `Left` of the `ProjectionError` that says why it is ill formed.
 *
 * @category constructors
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
