/**
 * The arbitrary of fault plans, built with a fast-check module.
 *
 * @since 0.1.0
 */
import { Duration, type FastCheck } from "effect"
import type { Partition } from "../../../handlers/chaos.js"
import type { FastCheckModule } from "../../../internal/fast-check.js"
import type { FaultPlan, FaultPlanOptions } from "../faults.js"

/** A partition of `roles` into two non-empty sides, for a while from the start. */
const partition = (fc: FastCheckModule, roles: ReadonlyArray<string>, maxPartition: number): FastCheck.Arbitrary<Partition> =>
  fc.record({
    sides: fc.array(fc.boolean(), { minLength: roles.length, maxLength: roles.length })
      .filter((s) => s.some((b) => b) && s.some((b) => !b)),
    from: fc.integer({ min: 0, max: maxPartition }),
    length: fc.integer({ min: 1, max: maxPartition })
  }).map(({ from, length, sides }) => ({
    between: [roles.filter((_, i) => sides[i]), roles.filter((_, i) => !sides[i])] as const,
    from: Duration.millis(Math.min(from, maxPartition - 1)),
    until: Duration.millis(Math.min(from + length, maxPartition))
  }))

/**
 * Fault plans: drop and duplicate rates from 0 to `maxRate` (0 a quarter of the time each), a
 * delay range within `maxDelay` ms (none a quarter of the time), a reorder rate, and up to two
 * partitions between the `roles` that heal by `maxPartition` ms. Built with the fast-check module
 * `fc` (`quadrille/testing/arbitrary` exports it as `faultPlan`, built with fast-check 4;
 * `quadrille/testing/arbitrary/effect` with `effect/FastCheck`).
 *
 * @example
 * ```ts
 * fc.assert(fc.asyncProperty(faultPlan({ roles: P.roles }), fc.integer(), async (chaos, seed) => {
 *   const sim = await Effect.runPromise(simulate(P, roles, { seed, chaos, reliable: true }))
 *   expect(Exit.isSuccess(sim.exit)).toBe(true)
 * }))
 * ```
 *
 * @category arbitraries
 */
export const faultPlanArbitrary = (fc: FastCheckModule) => (options: FaultPlanOptions = {}): FastCheck.Arbitrary<FaultPlan> => {
  const maxRate = options.maxRate ?? 0.3
  const maxDelay = options.maxDelay ?? 30
  const maxPartition = options.maxPartition ?? 500
  const roles = options.roles ?? []
  const rate = fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.double({ min: 0, max: maxRate, noNaN: true }) }
  )
  const delay = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.nat(maxDelay), fc.nat(maxDelay)).map(([a, b]) => ({
        min: Duration.millis(Math.min(a, b)),
        max: Duration.millis(Math.max(a, b))
      }))
    }
  )
  const partitions = roles.length < 2
    ? fc.constant(undefined)
    : fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.array(partition(fc, roles, maxPartition), { minLength: 1, maxLength: 2 }) }
    )
  return fc.record({ drop: rate, duplicate: rate, reorder: rate, delay, partitions })
}
