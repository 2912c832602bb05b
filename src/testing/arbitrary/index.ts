/**
 * `quadrille/testing/arbitrary`: fast-check 4 arbitraries of global protocols (choices, loops,
 * composed sub-protocols, broadcasts, rounds and parallel branches), of ill-formed protocols
 * paired with the well-formedness rule each breaks, and of fault plans; generated
 * implementations of the roles of generated protocols, and the oracle that checks a run against
 * the global protocol, for property-based tests. Needs `fast-check` (an optional peer
 * dependency); `quadrille/testing/arbitrary/effect` has the same arbitraries built on the
 * fast-check that `effect/FastCheck` re-exports (for `@effect/vitest`'s `it.prop`).
 *
 * @since 0.1.0
 */
import fc, { type Arbitrary } from "fast-check"
import type { ArbitraryOptions, Generated, ProtocolTree } from "../arbitrary.js"
import type { FaultPlan, FaultPlanOptions } from "../faults.js"
import type { IllFormed, IllFormedOptions } from "../illformed.js"
import type { FastCheckModule } from "../../internal/fast-check.js"
import type { Any } from "../../protocol/Protocol.js"
import { arbitraries, type PayloadType } from "./common.js"
import { familyArbitraries, type FamilyMisuse, type FamilyTree } from "./family.js"

export * from "./common.js"

// fast-check 4 has every function the arbitraries call; the arbitraries are its own.
const built = arbitraries(fc as unknown as FastCheckModule)

/** Trees of protocols that are well formed by construction. @category arbitraries */
export const wellFormedTree = built.wellFormedTree as unknown as (options?: ArbitraryOptions) => Arbitrary<ProtocolTree>
/** Well-formed protocols, built with `Protocol.make`. @category arbitraries */
export const wellFormedProtocol = built.wellFormedProtocol as unknown as (options?: ArbitraryOptions) => Arbitrary<Generated>
/** Freer trees, which may or may not be well formed. @category arbitraries */
export const freeTree = built.freeTree as unknown as (options?: ArbitraryOptions) => Arbitrary<ProtocolTree>
/** The free trees that `Protocol.makeEither` accepts, built. @category arbitraries */
export const mergeableProtocol = built.mergeableProtocol as unknown as (options?: ArbitraryOptions) => Arbitrary<Generated>
/** Ill-formed protocols, each paired with the rule it breaks. @category arbitraries */
export const illFormedProtocol = built.illFormedProtocol as unknown as (options?: IllFormedOptions) => Arbitrary<IllFormed>
/** Fault plans for the chaos layer of `simulate`. @category arbitraries */
export const faultPlan = built.faultPlan as unknown as (options?: FaultPlanOptions) => Arbitrary<FaultPlan>
/** Payloads of a label of a protocol of your own, drawn from its Schema. @category arbitraries */
export const payload = built.payload as unknown as <P extends Any, L extends keyof P["messages"] & string>(
  protocol: P,
  label: L
) => Arbitrary<PayloadType<P, L>>

export * from "./family.js"
const families = familyArbitraries(fc as unknown as FastCheckModule)
/** Protocols with a family of roles, as trees (`buildFamily` makes them). @category arbitraries */
export const familyTree = families.familyTree as unknown as () => Arbitrary<FamilyTree>
/** Family protocols with one misuse of the family, which `Protocol.makeEither` rejects with `FamilyMisuse`. @category arbitraries */
export const familyMisuse = families.familyMisuse as unknown as () => Arbitrary<FamilyMisuse>
