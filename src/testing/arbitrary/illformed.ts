/**
 * Ill-formed global protocols for property tests: a generated well-formed protocol (see
 * `wellFormedTree`) with one defect injected at a random place, inside its choices, loops,
 * rounds and parallel branches, paired with the well-formedness rule the defect breaks.
 * `Protocol.makeEither` must reject each with a `ProjectionError` of exactly that rule.
 *
 * @since 0.1.0
 */

import { Either, Schema } from "effect"
import type { ProjectionError, Rule } from "../../effects/errors.js"
import type { toStringMethod } from "../../internal/fast-check.js"
import type * as Protocol from "../../protocol/index.js"
import { build, buildWith, catalogue } from "./build.js"
import { toCode } from "./code.js"
import { injectors } from "./internal/injectors.js"
import type { ArbitraryOptions } from "./options.js"
import type { ProtocolTree } from "./tree.js"

/**
 * A protocol tree with one defect, and the rule it breaks. `tree` is the protocol to build
 * (with `buildIllFormed`); every label of its own catalogue carries `Schema.Number`, but those
 * in `retyped`, which carry `Schema.String` (how a catalogue conflict is made). `fixed` is the
 * same protocol with the defect removed: it builds. Prints as the `Protocol.make` calls that
 * build `tree` (fast-check uses this for counterexamples).
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { type IllFormed, illFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * const describe = (ill: IllFormed) => `${ill.rule} at depth ${ill.depth}: ${ill.defect}`
 * console.log(fc.sample(illFormedProtocol(), { numRuns: 5, seed: 1 }).map(describe))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface IllFormed {
  readonly rule: Rule
  readonly tree: ProtocolTree
  readonly retyped: ReadonlyArray<string>
  /**
   * The protocol the error names: the tree's own, but for `BadRoleMapping`, which names the
   * composed sub-protocol.
   */
  readonly protocol: string
  /** What was injected, and where, in words. */
  readonly defect: string
  /**
   * How deep the defect is nested: 0 at the top level of the protocol (or in its roles or
   * catalogue), one more for each choice branch, loop body, round or parallel branch around it.
   */
  readonly depth: number
  readonly fixed: ProtocolTree
  readonly [toStringMethod]: () => string
}

/**
 * Options of `illFormedProtocol`: those of the well-formed protocols the defects are injected
 * into, and the rules to break.
 *
 * @example
 * ```ts
 * import { illFormedProtocol, type IllFormedOptions } from "quadrille/testing/arbitrary"
 *
 * // Loops only: never a way out, or a way round without a message; in small protocols.
 * const options: IllFormedOptions = { rules: ["LoopWithoutExit", "UnguardedLoop"], maxDepth: 2, compose: false }
 * const loops = illFormedProtocol(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface IllFormedOptions extends ArbitraryOptions {
  /** The rules to break, each as likely (default: all of `illFormedRules`). */
  readonly rules?: ReadonlyArray<Rule>
}

/**
 * The rules `illFormedProtocol` breaks: every `Rule` of `ProjectionError`.
 *
 * @example
 * ```ts
 * import type { Rule } from "quadrille"
 * import { illFormedProtocol, illFormedRules } from "quadrille/testing/arbitrary"
 *
 * // Every rule but those of knowledge of choice, which only projection finds.
 * const projection: ReadonlyArray<Rule> = ["UnmergeableChoice", "AmbiguousBranch", "DuplicateBranchMessage", "ChooserUnaware"]
 * const early = illFormedProtocol({ rules: illFormedRules.filter((r) => !projection.includes(r)) })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const illFormedRules: ReadonlyArray<Rule> = Object.keys(injectors) as Array<Rule>

/**
 * The TypeScript source of the `Protocol.make` calls that build an ill-formed tree (see
 * `toCode`), after a comment that names the rule and the defect; a label in `retyped` is
 * printed with `Schema.String`.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import fc from "fast-check"
 * import { buildIllFormed, illFormedProtocol, illFormedToCode } from "quadrille/testing/arbitrary"
 *
 * fc.assert(fc.property(illFormedProtocol(), (ill) => {
 *   const built = buildIllFormed(ill)
 *   if (Either.isRight(built)) throw new Error(`accepted:\n${illFormedToCode(ill)}`)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const illFormedToCode = (ill: Pick<IllFormed, "rule" | "tree" | "retyped" | "defect">): string => {
  let code = toCode(ill.tree)
  // The tree's own catalogue is the messages line of its `Protocol.make`, printed last.
  const start = code.lastIndexOf(`Protocol.make(${JSON.stringify(ill.tree.name)}, {`)
  const line = code.indexOf("\n  messages: {", start)
  const lineEnd = code.indexOf("\n", line + 1)
  if (start >= 0 && line >= 0) {
    let messages = code.slice(line, lineEnd)
    for (const label of ill.retyped) {
      messages = messages.replace(`${JSON.stringify(label)}: Schema.Number`, `${JSON.stringify(label)}: Schema.String`)
    }
    code = code.slice(0, line) + messages + code.slice(lineEnd)
  }
  return `// ${ill.rule}: ${ill.defect}\n${code}`
}

/**
 * Builds an ill-formed tree with `Protocol.makeEither`, through the public builder, as `build`
 * does (it is `build` when no label is retyped): the answer is the `ProjectionError` of the
 * paired rule. A sub-protocol's rejection, if any, is the answer.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import fc from "fast-check"
 * import { buildIllFormed, illFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * fc.assert(fc.property(illFormedProtocol(), (ill) => {
 *   const built = buildIllFormed(ill)
 *   return Either.isLeft(built) && built.left.rule === ill.rule
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const buildIllFormed = (ill: Pick<IllFormed, "tree" | "retyped">): Either.Either<Protocol.Any, ProjectionError> =>
  ill.retyped.length === 0 ? build(ill.tree) : buildWith(ill.tree, (tree) =>
    tree === ill.tree
      ? Object.fromEntries(tree.labels.map((l) => [l, ill.retyped.includes(l) ? Schema.String : Schema.Number] as const))
      : catalogue(tree))
