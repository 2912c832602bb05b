/**
 * What `quadrille/testing/arbitrary` and `quadrille/testing/arbitrary/effect` share: the
 * models, the builders and checks of generated protocols (none of which use fast-check), and
 * every arbitrary built with one fast-check module.
 *
 * @since 0.1.0
 */
import { Arbitrary, type FastCheck, type Schema } from "effect"
import type { FastCheckModule } from "../../internal/fast-check.js"
import { own } from "../../internal/own.js"
import type { Any } from "../../protocol/Protocol.js"
import { protocolArbitraries } from "../arbitrary.js"
import { faultPlanArbitrary } from "../faults.js"
import { illFormedArbitrary } from "../illformed.js"

export {
  actors,
  allLabels,
  type ArbitraryOptions,
  barriersOf,
  build,
  buildWith,
  catalogue,
  checkOrder,
  type ChoiceInfo,
  choicesOf,
  consistentChoices,
  type Decision,
  freeRecurs,
  type Generated,
  generated,
  type GeneratedImplementation,
  type GeneratedProtocol,
  hasEnd,
  implementAll,
  type ImplementOptions,
  innerSteps,
  type Lane,
  noPerturbations,
  type NumberCatalogue,
  type Perturbations,
  type ProtocolTree,
  type ReceivedMessage,
  replay,
  type RoleEvent,
  type RoleState,
  type RunLog,
  SagaStepFailed,
  size,
  subProtocols,
  toCode,
  type TraceDecision,
  type TraceEvent,
  type TraceMessage,
  type TreeBranch,
  type TreeStep,
  verifyRun
} from "../arbitrary.js"
export { type FaultPlan, type FaultPlanOptions } from "../faults.js"
export { buildIllFormed, type IllFormed, type IllFormedOptions, illFormedRules, illFormedToCode } from "../illformed.js"

/** The type of the payloads of `label` in `protocol`'s catalogue. @category models */
export type PayloadType<P extends Any, L extends keyof P["messages"]> = Schema.Schema.Type<P["messages"][L]>

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

/** Every arbitrary, built with the fast-check module `fc`. */
export const arbitraries = (fc: FastCheckModule) => ({
  ...protocolArbitraries(fc),
  illFormedProtocol: illFormedArbitrary(fc),
  faultPlan: faultPlanArbitrary(fc),
  payload: payloadArbitrary(fc)
})
