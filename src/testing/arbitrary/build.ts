/**
 * Generated protocols built: a tree through the public builder (`Protocol.makeEither`), with a
 * `Schema.Number` catalogue or one of the caller's.
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import type { ProjectionError } from "../../effects/errors.js"
import * as Protocol from "../../protocol/index.js"
import { toCode } from "./code.js"
import { fromBuilt } from "./internal/generated.js"
import { type Generated, type GeneratedProtocol, type NumberCatalogue, type ProtocolTree, subProtocols, type TreeStep } from "./tree.js"

/** The builder without its type-level bookkeeping, for steps known only at run time. */
interface LooseBuilder {
  msg(from: string, to: string, label: string): LooseBuilder
  broadcast(from: string, to: ReadonlyArray<string>, label: string): LooseBuilder
  choice(at: string, name: string, branches: Record<string, (b: LooseBuilder) => LooseBuilder>): LooseBuilder
  loop(name: string, body: (b: LooseBuilder) => LooseBuilder): LooseBuilder
  forever(name: string, body: (b: LooseBuilder) => LooseBuilder): LooseBuilder
  repeat(param: string, body: (b: LooseBuilder) => LooseBuilder): LooseBuilder
  parallel(...branches: ReadonlyArray<(b: LooseBuilder) => LooseBuilder>): LooseBuilder
  compose(sub: Protocol.Any, mapping: Readonly<Record<string, string>>): LooseBuilder
  timeout(
    at: string,
    name: string,
    duration: number | string,
    body: (b: LooseBuilder) => LooseBuilder,
    fallback: (b: LooseBuilder) => LooseBuilder
  ): LooseBuilder
  saga(owner: string, name: string, forward: (b: LooseBuilder) => LooseBuilder, compensate: (b: LooseBuilder) => LooseBuilder): LooseBuilder
  recur(name: string): LooseBuilder
  end(): LooseBuilder
}

const emit = (b: LooseBuilder, steps: ReadonlyArray<TreeStep>, subs: ReadonlyMap<string, Protocol.Any>): LooseBuilder =>
  steps.reduce((g: LooseBuilder, s): LooseBuilder => {
    switch (s._tag) {
      case "Msg":
        return g.msg(s.from, s.to, s.label)
      case "Broadcast":
        return g.broadcast(s.from, s.to, s.label)
      case "Choice":
        return g.choice(
          s.at,
          s.name,
          Object.fromEntries(s.branches.map((br) => [br.label, (x: LooseBuilder) => emit(x, br.steps, subs)]))
        )
      case "Loop":
        return s.forever === true ? g.forever(s.name, (x) => emit(x, s.body, subs)) : g.loop(s.name, (x) => emit(x, s.body, subs))
      case "Repeat":
        return g.repeat(s.param, (x) => emit(x, s.body, subs))
      case "Parallel":
        return g.parallel(...s.branches.map((br) => (x: LooseBuilder) => emit(x, br, subs)))
      case "Compose":
        return g.compose(subs.get(s.sub.name)!, s.mapping)
      case "Timeout":
        return g.timeout(s.at, s.name, s.duration, (x) => emit(x, s.body, subs), (x) => emit(x, s.fallback, subs))
      case "Saga":
        return g.saga(s.owner, s.name, (x) => emit(x, s.forward, subs), (x) => emit(x, s.compensate, subs))
      case "Recur":
        return g.recur(s.name)
      case "End":
        return g.end()
    }
  }, b)

/**
 * The catalogue of a tree: `Schema.Number` for every label of its own.
 *
 * @example
 * ```ts
 * import { catalogue, noPerturbations } from "quadrille/testing/arbitrary"
 *
 * const messages = catalogue({ name: "P", roles: ["A", "B"], labels: ["m"], steps: [], params: {}, perturbations: noPerturbations })
 * // { m: Schema.Number }
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const catalogue = (tree: ProtocolTree): NumberCatalogue =>
  Object.fromEntries(tree.labels.map((l) => [l, Schema.Number]))

const buildOne = (tree: ProtocolTree, subs: ReadonlyMap<string, Protocol.Any>, messages: Protocol.Catalogue) =>
  Protocol.makeEither(
    tree.name,
    { roles: tree.roles, messages },
    (g) => emit(g as unknown as LooseBuilder, tree.steps, subs) as unknown as Protocol.Built<unknown>
  )

/**
 * `build` with the catalogue of each tree (the tree's or a sub-protocol's) given by
 * `messagesOf`: the ill-formed arbitraries retype a label this way. @internal
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { buildWith, noPerturbations } from "quadrille/testing/arbitrary"
 *
 * // The same tree, with string payloads.
 * const built = buildWith(
 *   { name: "P", roles: ["A", "B"], labels: ["m"], steps: [{ _tag: "Msg", from: "A", to: "B", label: "m" }], params: {}, perturbations: noPerturbations },
 *   (tree) => Object.fromEntries(tree.labels.map((l) => [l, Schema.String]))
 * )
 * ```
 *
 * @since 0.1.0
 */
export const buildWith = (
  tree: ProtocolTree,
  messagesOf: (tree: ProtocolTree) => Protocol.Catalogue
): Either.Either<Protocol.Any, ProjectionError> => {
  const subs = new Map<string, Protocol.Any>()
  for (const sub of subProtocols(tree)) {
    const built = buildOne(sub, subs, messagesOf(sub))
    if (Either.isLeft(built)) return Either.left(built.left)
    subs.set(sub.name, built.right)
  }
  return buildOne(tree, subs, messagesOf(tree))
}

/**
 * Builds a tree with `Protocol.makeEither`, through the public builder: first every
 * sub-protocol it composes (each once), then the tree. The first rejection, a sub-protocol's
 * included, is the answer.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import fc from "fast-check"
 * import { build, freeTree } from "quadrille/testing/arbitrary"
 *
 * // A free tree is accepted, or rejected (never thrown) with a ProjectionError that names the
 * // protocol (or the composed sub-protocol) where a rule is broken, and the rule.
 * fc.assert(fc.property(freeTree(), (tree) => {
 *   const built = build(tree)
 *   return Either.isRight(built) || (built.left._tag === "ProjectionError" && built.left.protocol !== "" && built.left.rule !== undefined)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const build = (tree: ProtocolTree): Either.Either<GeneratedProtocol, ProjectionError> =>
  buildWith(tree, catalogue) as Either.Either<GeneratedProtocol, ProjectionError>

/**
 * Builds a tree into a `Generated`, or throws an `Error` with the rejection and the code of the
 * tree.
 *
 * @example
 * ```ts
 * import { generated, noPerturbations } from "quadrille/testing/arbitrary"
 *
 * const g = generated({
 *   name: "PingPong", roles: ["A", "B"], labels: ["ping", "pong"], params: {}, perturbations: noPerturbations,
 *   steps: [{ _tag: "Msg", from: "A", to: "B", label: "ping" }, { _tag: "Msg", from: "B", to: "A", label: "pong" }]
 * })
 * console.log(String(g)) // the Protocol.make call
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const generated = (tree: ProtocolTree): Generated => {
  const built = build(tree)
  if (Either.isLeft(built)) {
    throw new Error(`the generated protocol was rejected: ${built.left.message}\n${toCode(tree)}`)
  }
  return fromBuilt(tree, built.right)
}
