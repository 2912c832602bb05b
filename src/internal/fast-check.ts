/**
 * What the arbitraries need of fast-check, without importing it: they are built with the
 * fast-check module a test runs them with (fast-check 4, or the 3.23 that `effect/FastCheck`
 * re-exports), which `quadrille/testing/arbitrary` and `quadrille/testing/arbitrary/effect`
 * pass in.
 *
 * @since 0.1.0
 */
import type { FastCheck } from "effect"

/**
 * A fast-check module. Typed as the one `effect` ships (a peer dependency, so always there);
 * fast-check 4 has every function the arbitraries call, with the same meaning.
 */
export type FastCheckModule = typeof FastCheck

/**
 * fast-check's `toStringMethod` (the same `Symbol.for` in fast-check 3 and 4): a value with
 * this method prints as what it returns in counterexamples.
 */
export const toStringMethod: unique symbol = Symbol.for("fast-check/toStringMethod") as never
