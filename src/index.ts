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
  End,
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
export type {
  Done,
  Endpoint,
  Expects,
  Offered,
  SagaEndpoint,
  PartOutcome,
  SagaOutcome,
  TimeoutEndpoint,
  TimeoutOutcome
} from "./session/Endpoint.js"
export { Local } from "./session/LocalValue.js"
