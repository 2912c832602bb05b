/**
 * What `quadrille/testing/arbitrary` and `quadrille/testing/arbitrary/effect` share: the
 * models, the builders and checks of generated protocols (none of which use fast-check), and
 * every arbitrary built with one fast-check module.
 *
 * @since 0.1.0
 */
import type { FastCheckModule } from "../../internal/fast-check.js"
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

/** Every arbitrary, built with the fast-check module `fc`. */
export const arbitraries = (fc: FastCheckModule) => ({
  ...protocolArbitraries(fc),
  illFormedProtocol: illFormedArbitrary(fc),
  faultPlan: faultPlanArbitrary(fc)
})
