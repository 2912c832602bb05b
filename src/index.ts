/**
 * Quadrille: multiparty session types and choreographies on Effect.
 *
 * @since 0.1.0
 */
export * as Protocol from "./protocol/index.js"
export * as Role from "./runtime/Role.js"
export * as Session from "./runtime/Session.js"
export * as Memory from "./handlers/memory.js"
export * as Reliable from "./handlers/reliable.js"
export * from "./effects/index.js"
export type * from "./session/Global.js"
export type {
  Branch,
  Each,
  End,
  Exchange,
  IllFormedReason,
  Offer,
  Par,
  ProjectionFailure,
  Rec,
  Recv,
  Rounds,
  Saga,
  Select,
  Send,
  // `Timeout` is the error (./effects/errors.ts); the local type of a timeout is `LocalTimeout`.
  Timeout as LocalTimeout,
  Var
} from "./session/Local.js"
// Every type an endpoint of `Role.program` can have, so that a helper that takes or returns
// one can be exported (its declaration names them from "quadrille"; TS2742 otherwise).
export type {
  Alternatives,
  Bind,
  Disallowed,
  Done,
  DoneTypeId,
  Endpoint,
  EndEndpoint,
  Expects,
  FailedEndpoint,
  FamilyStepEndpoint,
  MatchResult,
  MissingBranches,
  MissingHandlers,
  Misstep,
  OfferEndpoint,
  OfferedLabel,
  OfferHandlers,
  ParEndpoint,
  PartOutcome,
  ProgramEnd,
  RecvEndpoint,
  ReturnsEffect,
  ReturnsEndpoint,
  ReturnsNothing,
  ReturnsValue,
  RoundsEndpoint,
  SagaEndpoint,
  SagaOutcome,
  SelectEndpoint,
  SendEndpoint,
  TimeoutEndpoint,
  TimeoutOutcome
} from "./session/Endpoint.js"
// `Offered` is both the type of one outcome of `offer()` and its exhaustive handling
// (`Offered.match`, `Offered.exhaustive`).
/** What a handler of `Role.implement` is told (its last argument), and the answer that also changes the state (`Role.withState`). */
export type { Answer, Member, StepContext, WithState } from "./session/Handlers.js"
export { Offered } from "./session/Endpoint.js"
export { Local } from "./session/LocalValue.js"
/** Checking optimised roles against projections, and bounded model checking (`Check.asyncSubtype`, `Check.model`, `Check.local`). */
export * as Check from "./check/index.js"
