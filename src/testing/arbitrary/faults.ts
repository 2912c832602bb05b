/**
 * fast-check arbitraries of fault plans: what the chaos layer does to a session (drop,
 * duplicate, delay and reorder rates, partitions between the roles that heal), for property
 * tests that run sessions under `simulate` with `chaos`.
 *
 * @since 0.1.0
 */

import type { ChaosOptions } from "../../handlers/chaos.js"

/**
 * A fault plan: the chaos layer's options without the seed (`simulate` draws it from its own).
 *
 * @example
 * ```ts
 * import type { FaultPlan } from "quadrille/testing/arbitrary"
 *
 * const lossy: FaultPlan = { drop: 0.2, duplicate: 0.05, delay: { min: 0, max: "10 millis" } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type FaultPlan = Omit<ChaosOptions, "seed">

/**
 * Options of `faultPlan`.
 *
 * @example
 * ```ts
 * import { faultPlan, type FaultPlanOptions } from "quadrille/testing/arbitrary"
 *
 * const options: FaultPlanOptions = { roles: ["A", "B", "C"], maxRate: 0.1, maxDelay: 5 }
 * const plans = faultPlan(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FaultPlanOptions {
  /** The roles partitions may separate; without roles (or with fewer than two), no partitions. */
  readonly roles?: ReadonlyArray<string> | undefined
  /** The highest drop (and duplicate) rate drawn. Default 0.3. */
  readonly maxRate?: number | undefined
  /** The longest delay of a message, in milliseconds. Default 30. */
  readonly maxDelay?: number | undefined
  /** When the last partition heals at the latest, in milliseconds. Default 500. */
  readonly maxPartition?: number | undefined
}
