/**
 * The error taxonomy of Quadrille. Every failure a role or a protocol can meet is a
 * `Data.TaggedError` that names where it happened: protocol, role, peer, label and site.
 *
 * Retryable: `Timeout`, `TransportError`, `PeerUnavailable` (and `PeerFailed` when the
 * peer's own failure was retryable).
 * Permanent: `ProtocolViolation`, `DecodeError`, `LinearityViolation`, `ProjectionError`,
 * `ImplementationError`.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * A global protocol is not well formed: some role cannot be given a local type.
 * Raised by `Protocol.make`.
 *
 * @example
 * ```ts
 * import { Either, Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * // A role declared twice: caught at run time only.
 * const result = Protocol.makeEither("PingPong", {
 *   roles: ["Client", "Server", "Client"],
 *   messages: { Ping: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping"))
 * if (Either.isLeft(result)) console.log(result.left.rule, result.left.role) // DuplicateRole Client
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ProjectionError extends Data.TaggedError("ProjectionError")<{
  readonly protocol: string
  /** The well-formedness rule that is broken (see `Rule`). */
  readonly rule: Rule
  /** The role that cannot be projected, when one is to blame. */
  readonly role?: string | undefined
  /** The sites (paths in the global protocol) involved. */
  readonly sites: ReadonlyArray<string>
  readonly message: string
}> {}

/**
 * The names of the well-formedness rules, as reported in `ProjectionError.rule`.
 * `InvalidRole` and `InvalidMessage` are about the declaration itself (a role that is not a
 * usable name, a catalogue entry that is not a Schema or a label that is reserved), which the
 * builder's types already rule out for TypeScript callers.
 *
 * @example
 * ```ts
 * import type { Rule } from "quadrille"
 *
 * // The rules that only Protocol.make's run-time check reports: no compile error comes first.
 * const runTimeOnly: ReadonlyArray<Rule> = ["DuplicateRole", "BadRoleMapping", "CatalogueConflict", "EndInRepeat", "BadDuration"]
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export type Rule =
  | "UndeclaredRole"
  | "DuplicateRole"
  | "SelfMessage"
  | "UnknownLabel"
  | "RecurOutsideLoop"
  | "DuplicateLoopName"
  | "UnguardedLoop"
  | "LoopWithoutExit"
  | "EmptyChoice"
  | "StepAfterEnd"
  | "UnmergeableChoice"
  | "AmbiguousBranch"
  | "DuplicateBranchMessage"
  | "BadRoleMapping"
  | "CatalogueConflict"
  | "EndInParallel"
  | "EndInRepeat"
  | "RecurAcrossBarrier"
  | "ChooserUnaware"
  | "InvalidRole"
  | "InvalidMessage"
  | "EndInTimeout"
  | "TimeoutNotRaced"
  | "BadDuration"
  | "EndInSaga"
  | "FamilyMisuse"

/**
 * A role received something the protocol does not allow at that point: wrong label, wrong
 * site, wrong sequence number, a message from an unknown sender, or a message left over.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
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
 * const program = Session.run(PingPong, roles).pipe(
 *   Effect.catchTag("ProtocolViolation", (e) =>
 *     Effect.logError(`${e.role} got ${e.label} from ${e.peer} at site ${e.site}; expected ${e.expected}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ProtocolViolation extends Data.TaggedError("ProtocolViolation")<{
  readonly protocol: string
  readonly role: string
  readonly peer: string
  readonly label: string
  readonly site: string
  /** What the role expected instead. */
  readonly expected: string
  readonly message: string
}> {}

/**
 * A payload did not decode with the Schema of its label.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
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
 * // Payloads are decoded with their Schemas when the transport serialises, or with validate: true.
 * const program = Session.run(PingPong, roles, { validate: true }).pipe(
 *   Effect.catchTag("DecodeError", (e) => Effect.logError(`${e.label} from ${e.peer} did not decode: ${e.issue}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class DecodeError extends Data.TaggedError("DecodeError")<{
  readonly protocol: string
  readonly role: string
  readonly peer: string
  readonly label: string
  readonly site: string
  /** The schema's own account of the problem. */
  readonly issue: string
  readonly message: string
}> {}

/**
 * An endpoint was used twice.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.program(PingPong, "Server", (ch) =>
 *   Effect.gen(function*() {
 *     const [n, c1] = yield* ch.recv("Client", "Ping")
 *     return yield* (yield* c1.send("Client", "Pong", n + 1)).close(n)
 *   }))
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 *
 * const program = Session.run(PingPong, { Client: client, Server: server }).pipe(
 *   Effect.catchTag("LinearityViolation", (e) => Effect.logError(`${e.role} used an endpoint twice: ${e.operation}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class LinearityViolation extends Data.TaggedError("LinearityViolation")<{
  readonly protocol: string
  readonly role: string
  /** The operation attempted on the spent endpoint. */
  readonly operation: string
  readonly message: string
}> {}

/**
 * A role's implementation is incomplete or answered outside the protocol: a missing
 * handler, or a `choose` handler that named a branch that does not exist.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
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
 * const program = Session.run(PingPong, roles).pipe(
 *   Effect.catchTag("ImplementationError", (e) => Effect.logError(`${e.role} at site ${e.site}: ${e.message}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ImplementationError extends Data.TaggedError("ImplementationError")<{
  readonly protocol: string
  readonly role: string
  readonly site: string
  readonly message: string
}> {}

/**
 * The transport could not carry a frame.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 *
 * const program = Role.run(PingPong, "Client", client, { sessionId: "s1" }).pipe(
 *   Effect.catchTag("TransportError", (e) => Effect.logError(`${e.role} could not reach ${e.peer}: ${e.message}`)),
 *   Effect.provide(Memory.layer)
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly role: string
  readonly peer: string
  readonly message: string
}> {}

/**
 * Something did not happen in time.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
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
 * const program = Session.run(PingPong, roles, { receiveTimeout: "5 seconds" }).pipe(
 *   Effect.catchTag("Timeout", (e) => Effect.logWarning(`${e.role} waited in vain for ${e.label} from ${e.peer}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class Timeout extends Data.TaggedError("Timeout")<{
  readonly role: string
  readonly peer: string
  readonly label: string
  readonly site: string
  readonly message: string
}> {}

/**
 * A peer is known to be down.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { Tcp } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 *
 * const program = Role.run(PingPong, "Client", client, { sessionId: "s1" }).pipe(
 *   Effect.catchTag("PeerUnavailable", (e) => Effect.logWarning(`${e.peer} is unreachable from ${e.role}`)),
 *   Effect.provide(Tcp.layer({
 *     self: "Client",
 *     listen: { port: 4100 },
 *     peers: { Server: "127.0.0.1:4101" },
 *     auth: { secret: process.env.PINGPONG_SECRET! },
 *     unavailableAfter: "5 seconds"
 *   }))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class PeerUnavailable extends Data.TaggedError("PeerUnavailable")<{
  readonly role: string
  readonly peer: string
  readonly message: string
}> {}

/**
 * A peer this role still had steps with failed (or was interrupted), and said so with a
 * failure notice. `cause` is the peer's own account, in bounded words; `retryable` whether
 * the peer's failure was of a retryable kind (then so is this error).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 *
 * const program = Role.run(PingPong, "Client", client, { sessionId: "s1" }).pipe(
 *   Effect.catchTag("PeerFailed", (e) => Effect.logError(`${e.peer} failed (${e.reason}): ${e.cause}`)),
 *   Effect.provide(Memory.layer)
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class PeerFailed extends Data.TaggedError("PeerFailed")<{
  readonly role: string
  /** The peer that failed. */
  readonly peer: string
  /** Where this role was when it learned it: the sites it waited on, or "" when it was not waiting. */
  readonly site: string
  /**
   * The tag of the peer's error ("interrupted" when it was interrupted, "defect" when it died);
   * when the peer failed because one of its own peers did, the reason it was given, passed on
   * (a stop is `Stopped` however many roles pass the news on; `cause` says who failed first).
   */
  readonly reason: string
  /** The peer's account of its failure, clipped. */
  readonly cause: string
  readonly retryable: boolean
  readonly message: string
}> {}

/**
 * The session (or the role) was stopped by its `stop` option (`Session.run`, `Role.run`): the
 * way a server, a protocol with a `forever` loop, ends. Not a defect, not retryable. `roles`
 * are those still running when it was stopped; a peer elsewhere of a role stopped by
 * `Role.run` learns of it by a failure notice (`PeerFailed` with reason `Stopped`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * // A server: the loop never ends.
 * const Serve = Protocol.make("Serve", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.forever("serve", (b) => b.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong").recur("serve")))
 * const roles = {
 *   Client: Role.implement(Serve, "Client", { send: { Ping: (n) => n }, recv: { Pong: (_, n) => n } }, 0),
 *   Server: Role.implement(Serve, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 * }
 * const program = Session.run(Serve, roles, { stop: Effect.sleep("1 second") }).pipe(
 *   Effect.catchTag("Stopped", (e) => Effect.log(`stopped while ${e.roles.join(", ")} ran`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class Stopped extends Data.TaggedError("Stopped")<{
  readonly protocol: string
  readonly session: string
  /** The roles still running when it was stopped. */
  readonly roles: ReadonlyArray<string>
  readonly message: string
}> {}

/**
 * A retried session or role failed on every attempt its schedule allowed. `last` is the error
 * of the last attempt.
 *
 * @example
 * ```ts
 * import { Effect, Schedule, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
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
 * const program = Session.retry(PingPong, roles, { schedule: Schedule.recurs(2), receiveTimeout: "1 second" }).pipe(
 *   Effect.catchTag("MaxRetriesExceeded", (e) => Effect.logError(`${e.attempts} attempts, the last: ${String(e.last)}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class MaxRetriesExceeded extends Data.TaggedError("MaxRetriesExceeded")<{
  /** How many attempts were made. */
  readonly attempts: number
  readonly last: unknown
  readonly message: string
}> {}

/**
 * A resumed role did not do again what its journal says it did: a hand-written program that
 * is not deterministic given its inputs (it sent another label, payload or peer, or received
 * where it had sent), or a protocol changed under a checkpoint.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Memory, Protocol, Role, Storage } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * // A hand-written program is replayed from its journal when resumed: it must do the same again.
 * const server = Role.program(PingPong, "Server", (ch) =>
 *   Effect.gen(function*() {
 *     const [n, c1] = yield* ch.recv("Client", "Ping")
 *     return yield* (yield* c1.send("Client", "Pong", n + 1)).close(n)
 *   }))
 * const program = Role.resume(PingPong, "Server", server, { sessionId: "s1" }).pipe(
 *   Effect.catchTag("ReplayDivergence", (e) => Effect.logError(`the journal has ${e.expected}, the replay did ${e.actual}`)),
 *   Effect.provide(Layer.merge(Memory.layer, Storage.memory))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ReplayDivergence extends Data.TaggedError("ReplayDivergence")<{
  readonly protocol: string
  readonly role: string
  /** The lane ("" for the role's main line). */
  readonly lane: string
  /** What the journal says the role did there. */
  readonly expected: string
  /** What it did on replay. */
  readonly actual: string
  readonly message: string
}> {}

/**
 * A checkpoint could not be used: it does not decode, or it is of another protocol, role,
 * session or version of the protocol.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Memory, Protocol, Role, Storage } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, {
 *   state: Schema.Number
 * })
 * const program = Role.resume(PingPong, "Server", server, { sessionId: "s1" }).pipe(
 *   Effect.catchTag("CheckpointError", (e) => Effect.logError(`cannot resume from ${e.key}: ${e.message}`)),
 *   Effect.provide(Layer.merge(Memory.layer, Storage.memory))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class CheckpointError extends Data.TaggedError("CheckpointError")<{
  readonly key: string
  readonly protocol: string
  readonly role: string
  readonly message: string
}> {}

/**
 * A local type declared for a hand-written role (`Role.program(P, role, { local }, body)`) is
 * refused at definition: it is not an asynchronous subtype of the role's projection
 * (`reason` says why, as `Check.asyncSubtype` does: `InputBeforeOutput`, `OutputNotAllowed`,
 * `UnhandledLabel`, `EndMismatch`), the check could not decide within its bound
 * (`Undecided`), or the type uses what a declared type cannot (`Unsupported`: a parallel, a
 * timeout, a saga, or a malformed recursion). `peer` and `label` name the first action that
 * cannot be moved, when there is one; `site` the sites of the protocol where that message is.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { DeclaredTypeError, Protocol, Role } from "quadrille"
 *
 * const Ring = Protocol.make("Ring", { roles: ["A", "B", "C"], messages: { Value: Schema.Number } }, (g) =>
 *   g.msg("A", "B", "Value").msg("B", "C", "Value").msg("C", "A", "Value"))
 * const { send, recv } = Role.local(Ring)
 *
 * // A receives before it sends: an input may not move ahead of an output.
 * try {
 *   Role.program(Ring, "A", { local: recv("C", "Value", send("B", "Value")) }, (ch) =>
 *     Effect.gen(function*() {
 *       const [v, next] = yield* ch.recv("C", "Value")
 *       return yield* (yield* next.send("B", "Value", v)).close(v)
 *     }))
 *   assert.fail("refused at definition")
 * } catch (e) {
 *   assert.ok(e instanceof DeclaredTypeError)
 *   assert.strictEqual(e.reason, "InputBeforeOutput")
 * }
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class DeclaredTypeError extends Data.TaggedError("DeclaredTypeError")<{
  readonly protocol: string
  readonly role: string
  readonly reason: "InputBeforeOutput" | "OutputNotAllowed" | "UnhandledLabel" | "EndMismatch" | "Undecided" | "Unsupported"
  readonly peer: string | undefined
  readonly label: string | undefined
  readonly site: string
  readonly message: string
}> {}

/**
 * Every error a running role can fail with, apart from its handlers' own errors.
 *
 * @example
 * ```ts
 * import { isRetryable, type RoleError } from "quadrille"
 *
 * // What to tell an operator about a role that failed.
 * const report = (error: RoleError): string => `${error._tag}${isRetryable(error) ? " (retryable)" : ""}: ${error.message}`
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export type RoleError =
  | ProtocolViolation
  | DecodeError
  | LinearityViolation
  | ImplementationError
  | TransportError
  | Timeout
  | PeerUnavailable
  | PeerFailed

/**
 * True for the errors that a retry may cure: `Timeout`, `TransportError`, `PeerUnavailable`,
 * and a `PeerFailed` whose peer failed with one of those.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { isRetryable, Protocol, Role, Session } from "quadrille"
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
 * // Twice more after a Timeout, a TransportError or a PeerUnavailable; at once on anything else.
 * const program = Session.run(PingPong, roles, { receiveTimeout: "1 second" }).pipe(Effect.retry({ times: 2, while: isRetryable }))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export const isRetryable = (error: unknown): boolean => {
  if (typeof error !== "object" || error === null || !("_tag" in error)) return false
  const tag = (error as { readonly _tag: unknown })._tag
  if (tag === "PeerFailed") return (error as PeerFailed).retryable === true
  return tag === "Timeout" || tag === "TransportError" || tag === "PeerUnavailable"
}
