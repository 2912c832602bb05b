/**
 * `quadrille/testing/arbitrary/effect`: the arbitraries of `quadrille/testing/arbitrary`, built
 * on the fast-check that `effect/FastCheck` re-exports (3.23), the one `@effect/vitest`'s
 * `it.prop` runs: no other fast-check needs to be installed. The same names, the same
 * generators; only the fast-check module differs.
 *
 * @since 0.1.0
 */
import * as FastCheck from "effect/FastCheck"
import type { ArbitraryOptions, Generated, ProtocolTree } from "../arbitrary.js"
import type { FaultPlan, FaultPlanOptions } from "../faults.js"
import type { IllFormed, IllFormedOptions } from "../illformed.js"
import type { Any } from "../../protocol/Protocol.js"
import { arbitraries, type PayloadType } from "./common.js"
import { familyArbitraries, type FamilyMisuse, type FamilyTree } from "./family.js"

export * from "./common.js"

const built = arbitraries(FastCheck)

/** Trees of protocols that are well formed by construction. @category arbitraries */
export const wellFormedTree: (options?: ArbitraryOptions) => FastCheck.Arbitrary<ProtocolTree> = built.wellFormedTree
/** Well-formed protocols, built with `Protocol.make`. @category arbitraries */
export const wellFormedProtocol: (options?: ArbitraryOptions) => FastCheck.Arbitrary<Generated> = built.wellFormedProtocol
/** Freer trees, which may or may not be well formed. @category arbitraries */
export const freeTree: (options?: ArbitraryOptions) => FastCheck.Arbitrary<ProtocolTree> = built.freeTree
/** The free trees that `Protocol.makeEither` accepts, built. @category arbitraries */
export const mergeableProtocol: (options?: ArbitraryOptions) => FastCheck.Arbitrary<Generated> = built.mergeableProtocol
/** Ill-formed protocols, each paired with the rule it breaks. @category arbitraries */
export const illFormedProtocol: (options?: IllFormedOptions) => FastCheck.Arbitrary<IllFormed> = built.illFormedProtocol
/** Fault plans for the chaos layer of `simulate`. @category arbitraries */
export const faultPlan: (options?: FaultPlanOptions) => FastCheck.Arbitrary<FaultPlan> = built.faultPlan
/** Payloads of a label of a protocol of your own, drawn from its Schema. @category arbitraries */
export const payload: <P extends Any, L extends keyof P["messages"] & string>(
  protocol: P,
  label: L
) => FastCheck.Arbitrary<PayloadType<P, L>> = built.payload

export * from "./family.js"
const families = familyArbitraries(FastCheck)
/** Protocols with a family of roles, as trees (`buildFamily` makes them). @category arbitraries */
export const familyTree: () => FastCheck.Arbitrary<FamilyTree> = families.familyTree
/** Family protocols with one misuse of the family, which `Protocol.makeEither` rejects with `FamilyMisuse`. @category arbitraries */
export const familyMisuse: () => FastCheck.Arbitrary<FamilyMisuse> = families.familyMisuse
