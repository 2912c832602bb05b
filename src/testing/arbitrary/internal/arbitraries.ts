/**
 * Every arbitrary, built with one fast-check module: the protocols of `internal/shapes.ts`,
 * ill-formed protocols, fault plans and payloads from a protocol's Schemas.
 *
 * @since 0.1.0
 */
import { Arbitrary, type FastCheck } from "effect"
import { type FastCheckModule, toStringMethod } from "../../../internal/fast-check.js"
import { own } from "../../../internal/own.js"
import type { Any } from "../../../protocol/Protocol.js"
import { type IllFormed, type IllFormedOptions, illFormedRules, illFormedToCode } from "../illformed.js"
import type { PayloadType } from "../payload.js"
import { faultPlanArbitrary } from "./faults.js"
import { injectors, picker, placesOf, type ShapeRule } from "./injectors.js"
import { protocolArbitraries } from "./shapes.js"

/**
 * Ill-formed protocols: a well-formed tree (see `wellFormedTree`, with these options), named
 * `IllFormed`, with one defect injected at a random place, paired with the rule it breaks.
 * Every rule is as likely; each is produced in its own ways:
 *
 * - `DuplicateRole`: a role declared again. `UndeclaredRole`: a message to or from an
 *   undeclared role, a choice made by one, or a sub-protocol role mapped to one.
 *   `SelfMessage`: a message, or a broadcast, made to go to its sender, or one inserted.
 *   `UnknownLabel`: a message relabelled, or inserted, with a label of no catalogue.
 * - `RecurOutsideLoop`: a `recur` to a loop elsewhere, or to none. `RecurAcrossBarrier`: a
 *   `recur` in a parallel branch or a round to a loop outside it. `DuplicateLoopName`: a
 *   loop or round, nested in a loop, given (or inserted with) the loop's name. `EmptyChoice`:
 *   a choice or a parallel without branches. `StepAfterEnd`: a step after a `recur` or
 *   `end()`. `EndInParallel`, `EndInRepeat`: an `end()` in a parallel branch, or in rounds
 *   some role takes no part in.
 * - `BadRoleMapping`: a composition that leaves a role unmapped or maps two roles to one.
 *   `CatalogueConflict`: a label of the catalogue retyped, that a composed sub-protocol has.
 * - `UnguardedLoop`: a loop that a choice at its head may go round at once, or rounds without
 *   a message. `LoopWithoutExit`: a loop body made to always go round.
 * - `UnmergeableChoice`, `AmbiguousBranch`, `DuplicateBranchMessage`, `ChooserUnaware`: a
 *   choice inserted where its roles know which path the run is on, that some role cannot
 *   tell the branches of: it receives from different roles, acts differently, is told with
 *   one label in both, or makes a choice in one branch only.
 *
 * When the tree has no construct to spoil (no loop, no composition...) the injection adds
 * one around some of its steps. `fixed` is the tree without the defect. Built with the
 * fast-check module `fc` (`quadrille/testing/arbitrary` exports it as `illFormedProtocol`,
 * built with fast-check 4; `quadrille/testing/arbitrary/effect` with `effect/FastCheck`).
 *
 * @example
 * ```ts
 * import { illFormedProtocol, buildIllFormed } from "quadrille/testing/arbitrary"
 *
 * fc.assert(fc.property(illFormedProtocol({ rules: ["UnguardedLoop", "LoopWithoutExit"] }), (ill) => {
 *   const built = buildIllFormed(ill)
 *   return Either.isLeft(built) && built.left.rule === ill.rule
 * }))
 * ```
 *
 * @category arbitraries
 */
export const illFormedArbitrary = (fc: FastCheckModule) => (options: IllFormedOptions = {}): FastCheck.Arbitrary<IllFormed> => {
  const { rules = illFormedRules, ...treeOptions } = options
  const unknown = rules.filter((r) => !Object.hasOwn(injectors, r))
  if (rules.length === 0 || unknown.length > 0) {
    throw new RangeError(`illFormedProtocol: rules must be some of ${illFormedRules.join(", ")}; got ${JSON.stringify(rules)}`)
  }
  return fc
    .tuple(
      protocolArbitraries(fc).wellFormedTree(treeOptions),
      fc.constantFrom(...rules),
      fc.array(fc.nat({ max: 0xffff }), { minLength: 16, maxLength: 16 })
    )
    .map(([wellFormed, rule, seeds]): IllFormed => {
      const base = { ...wellFormed, name: "IllFormed" }
      const injected = injectors[rule as ShapeRule](base, placesOf(base), picker(seeds))
      const ill = {
        rule,
        tree: injected.tree,
        retyped: injected.retyped ?? [],
        protocol: injected.protocol ?? base.name,
        defect: injected.defect,
        depth: injected.depth,
        fixed: injected.fixed
      }
      return { ...ill, [toStringMethod]: () => illFormedToCode(ill) }
    })
}

/**
 * Payloads of `label` of a protocol of your own, drawn from the label's Schema (effect's
 * `Arbitrary.makeLazy`, built with `fc`): every value it makes decodes, with the Schema's
 * refinements and annotations (`arbitrary`) honoured.
 */
const payloadArbitrary = (fc: FastCheckModule) =>
<P extends Any, L extends keyof P["messages"] & string>(protocol: P, label: L): FastCheck.Arbitrary<PayloadType<P, L>> => {
  const schema = own(protocol.messages, label)
  if (schema === undefined) {
    throw new RangeError(`payload: ${JSON.stringify(label)} is not a label of ${protocol.name}, whose labels are ${Object.keys(protocol.messages).join(", ")}`)
  }
  return Arbitrary.makeLazy(schema)(fc) as FastCheck.Arbitrary<PayloadType<P, L>>
}

/**
 * Every arbitrary, built with the fast-check module `fc`.
 *
 * @example
 * ```ts
 * import { FastCheck } from "effect"
 * import { arbitraries } from "quadrille/testing/arbitrary"
 *
 * // The arbitraries built with the fast-check that effect re-exports (as quadrille/testing/arbitrary/effect does).
 * const { wellFormedProtocol } = arbitraries(FastCheck)
 * FastCheck.assert(FastCheck.property(wellFormedProtocol(), (g) => g.tree.roles.length >= 2))
 * ```
 *
 * @since 0.1.0
 */
export const arbitraries = (fc: FastCheckModule) => ({
  ...protocolArbitraries(fc),
  illFormedProtocol: illFormedArbitrary(fc),
  faultPlan: faultPlanArbitrary(fc),
  payload: payloadArbitrary(fc)
})
