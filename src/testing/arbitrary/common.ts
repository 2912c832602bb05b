/**
 * What `quadrille/testing/arbitrary` and `quadrille/testing/arbitrary/effect` share: the
 * models, the builders and checks of generated protocols (none of which use fast-check), and
 * every arbitrary built with one fast-check module.
 *
 * @since 0.1.0
 */

/**
 * Generated protocols as data, and the walks over their trees.
 *
 * @since 0.1.0
 */
export * from "./tree.js"
/**
 * The arbitraries' options.
 *
 * @since 0.1.0
 */
export * from "./options.js"
/**
 * Trees printed as `Protocol.make` code.
 *
 * @since 0.1.0
 */
export * from "./code.js"
/**
 * Trees built through the public builder.
 *
 * @since 0.1.0
 */
export * from "./build.js"
/**
 * The choices of a tree, and the branches toward its end.
 *
 * @since 0.1.0
 */
export * from "./choices.js"
/**
 * The replay of a run along its decisions.
 *
 * @since 0.1.0
 */
export * from "./replay.js"
/**
 * Whether observed events are in an order the protocol allows.
 *
 * @since 0.1.0
 */
export * from "./order.js"
/**
 * Generated implementations of every role.
 *
 * @since 0.1.0
 */
export * from "./implement.js"
/**
 * The oracle that checks a run.
 *
 * @since 0.1.0
 */
export * from "./verify.js"
/**
 * Ill-formed protocols paired with the rule each breaks.
 *
 * @since 0.1.0
 */
export * from "./illformed.js"
/**
 * Fault plans for the chaos layer.
 *
 * @since 0.1.0
 */
export * from "./faults.js"
/**
 * Payloads from a protocol's Schemas.
 *
 * @since 0.1.0
 */
export * from "./payload.js"
/**
 * The factory of every arbitrary (documented below, where it is re-exported).
 *
 * @since 0.1.0
 */
export {
  /**
   * Every arbitrary, built with a fast-check module (the one `effect` ships as `FastCheck`;
   * `quadrille/testing/arbitrary` has them already built on fast-check 4).
   *
   * @example
   * ```ts
   * import { FastCheck } from "effect"
   * import { arbitraries } from "quadrille/testing/arbitrary"
   *
   * const { faultPlan } = arbitraries(FastCheck)
   * const [plan] = FastCheck.sample(faultPlan({ roles: ["Client", "Server"] }), { seed: 1, numRuns: 1 })
   * assert.ok((plan.drop ?? 0) <= 0.3)
   * ```
   *
   * @since 0.1.0
   */
  arbitraries
} from "./internal/arbitraries.js"
