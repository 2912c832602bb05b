/**
 * fast-check arbitraries of fault plans: what the chaos layer does to a session (drop,
 * duplicate, delay and reorder rates, partitions between the roles that heal), for property
 * tests that run sessions under `simulate` with `chaos`.
 *
 * @since 0.1.0
 */
import { Duration, type FastCheck } from "effect"
import type { ChaosOptions, Partition } from "../handlers/chaos.js"
import type { FastCheckModule } from "../internal/fast-check.js"

/**
 * A fault plan: the chaos layer's options without the seed (`simulate` draws it from its own).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { simulate } from "quadrille/testing"
 * import type { FaultPlan } from "quadrille/testing/arbitrary"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const roles = {
 *   Client: Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   Server: Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 * }
 *
 * // A counterexample fast-check found, kept as a regression test.
 * const plan: FaultPlan = { drop: 0.3, duplicate: 0, reorder: 0.1, delay: undefined, partitions: undefined }
 * const program = simulate(PingPong, roles, { seed: 1234, chaos: plan, reliable: true })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type FaultPlan = Omit<ChaosOptions, "seed">

/**
 * Options of `faultPlan`.
 *
 * @example
 * ```ts
 * import { faultPlan, type FaultPlanOptions } from "quadrille/testing/arbitrary"
 *
 * // Harsher than the default: up to half the frames lost, partitions up to 2 s.
 * const options: FaultPlanOptions = { roles: ["Client", "Server"], maxRate: 0.5, maxPartition: 2000 }
 * const plans = faultPlan(options)
 * ```
 *
 * @category models
 * @since 0.1.0
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
 * import fc from "fast-check"
 * import { Effect, Exit, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { simulate } from "quadrille/testing"
 * import { faultPlan } from "quadrille/testing/arbitrary"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const roles = {
 *   Client: Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   Server: Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 * }
 *
 * // Whatever the faults, over the reliable layer the session ends as without them.
 * fc.assert(fc.asyncProperty(faultPlan({ roles: PingPong.roles }), fc.integer(), async (chaos, seed) => {
 *   const sim = await Effect.runPromise(simulate(PingPong, roles, { seed, chaos, reliable: true }))
 *   return Exit.isSuccess(sim.exit)
 * }), { numRuns: 20 })
 * ```
 *
 * @category arbitraries
 * @since 0.1.0
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
