/**
 * Quadrille: multiparty session types and choreographies on Effect.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * assert.strictEqual(Protocol.formatLocal(Protocol.project(PingPong, "A")), "Send(B, Ping).Recv(B, Pong).End")
 * ```
 */
export * as Protocol from "./protocol/index.js"
/**
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const b = Role.program(PingPong, "B", (ch) =>
 *   Effect.gen(function*() {
 *     const [n, c1] = yield* ch.recv("A", "Ping")
 *     return yield* (yield* c1.send("A", "Pong", n + 1)).close(n)
 *   }))
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(PingPong, { A: a, B: b })), { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export * as Role from "./runtime/Role.js"
/**
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(PingPong, { A: a, B: b })), { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export * as Session from "./runtime/Session.js"
/**
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * // Two roles run apart, over the in-memory transport they share.
 * const results = await Effect.runPromise(
 *   Effect.all([Role.run(PingPong, "A", a, { sessionId: "s" }), Role.run(PingPong, "B", b, { sessionId: "s" })], { concurrency: 2 })
 *     .pipe(Effect.provide(Memory.layer))
 * )
 * assert.deepStrictEqual(results, [2, 1])
 * ```
 *
 * @since 0.1.0
 */
export * as Memory from "./handlers/memory.js"
/**
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Memory, Protocol, Reliable, Role, Session } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * // Acknowledged, retransmitted, deduplicated delivery over another transport.
 * const transport = Reliable.layer().pipe(Layer.provide(Memory.layer))
 * const results = await Effect.runPromise(Session.run(PingPong, { A: a, B: b }).pipe(Effect.provide(transport)))
 * assert.deepStrictEqual(results, { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export * as Reliable from "./handlers/reliable.js"
/**
 * @since 0.1.0
 */
export * from "./effects/index.js"
/**
 * @since 0.1.0
 */
export type * from "./session/Global.js"
export type {
  /** @since 0.1.0 */
  Branch,
  /** @since 0.1.0 */
  Each,
  /** @since 0.1.0 */
  End,
  /** @since 0.1.0 */
  Exchange,
  /** @since 0.1.0 */
  IllFormedReason,
  /** @since 0.1.0 */
  Offer,
  /** @since 0.1.0 */
  Par,
  /** @since 0.1.0 */
  ProjectionFailure,
  /** @since 0.1.0 */
  Rec,
  /** @since 0.1.0 */
  Recv,
  /** @since 0.1.0 */
  Rounds,
  /** @since 0.1.0 */
  Saga,
  /** @since 0.1.0 */
  Select,
  /** @since 0.1.0 */
  Send,
  /**
   * The local type of a timeout (`Timeout` in the type-level vocabulary; here `Timeout` is the
   * error, of ./effects/errors.ts).
   *
   * @since 0.1.0
   */
  Timeout as LocalTimeout,
  /** @since 0.1.0 */
  Var
} from "./session/Local.js"
// Every type an endpoint of `Role.program` can have, so that a helper that takes or returns
// one can be exported (its declaration names them from "quadrille"; TS2742 otherwise).
export type {
  /** @since 0.1.0 */
  Alternatives,
  /** @since 0.1.0 */
  Bind,
  /** @since 0.1.0 */
  Disallowed,
  /** @since 0.1.0 */
  Done,
  /** @since 0.1.0 */
  DoneTypeId,
  /** @since 0.1.0 */
  Endpoint,
  /** @since 0.1.0 */
  EndEndpoint,
  /** @since 0.1.0 */
  Expects,
  /** @since 0.1.0 */
  FailedEndpoint,
  /** @since 0.1.0 */
  FamilyStepEndpoint,
  /** @since 0.1.0 */
  MatchResult,
  /** @since 0.1.0 */
  MissingBranches,
  /** @since 0.1.0 */
  MissingHandlers,
  /** @since 0.1.0 */
  Misstep,
  /** @since 0.1.0 */
  OfferEndpoint,
  /** @since 0.1.0 */
  OfferedLabel,
  /** @since 0.1.0 */
  OfferHandlers,
  /** @since 0.1.0 */
  ParEndpoint,
  /** @since 0.1.0 */
  PartOutcome,
  /** @since 0.1.0 */
  ProgramEnd,
  /** @since 0.1.0 */
  RecvEndpoint,
  /** @since 0.1.0 */
  ReturnsEffect,
  /** @since 0.1.0 */
  ReturnsEndpoint,
  /** @since 0.1.0 */
  ReturnsNothing,
  /** @since 0.1.0 */
  ReturnsValue,
  /** @since 0.1.0 */
  RoundsEndpoint,
  /** @since 0.1.0 */
  SagaEndpoint,
  /** @since 0.1.0 */
  SagaOutcome,
  /** @since 0.1.0 */
  SelectEndpoint,
  /** @since 0.1.0 */
  SendEndpoint,
  /** @since 0.1.0 */
  TimeoutEndpoint,
  /** @since 0.1.0 */
  TimeoutOutcome
} from "./session/Endpoint.js"
// `Offered` is both the type of one outcome of `offer()` and its exhaustive handling
// (`Offered.match`, `Offered.exhaustive`).
/** What a handler of `Role.implement` is told (its last argument), and the answer that also changes the state (`Role.withState`). */
export type {
  /** @since 0.1.0 */
  Answer,
  /** @since 0.1.0 */
  Member,
  /** @since 0.1.0 */
  StepContext,
  /** @since 0.1.0 */
  WithState
} from "./session/Handlers.js"
export {
  /** @since 0.1.0 */
  Offered
} from "./session/Endpoint.js"
export {
  /** @since 0.1.0 */
  Local
} from "./session/LocalValue.js"
/**
 * Checking optimised roles against projections, and bounded model checking (`Check.asyncSubtype`, `Check.model`, `Check.local`).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * assert.strictEqual(Check.model(PingPong, { bound: 1 })._tag, "Ok")
 * ```
 *
 * @since 0.1.0
 */
export * as Check from "./check/index.js"
