/**
 * Services and the error taxonomy.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { isRetryable, type RoleError } from "quadrille"
 *
 * // What to tell an operator about a role that failed.
 * const report = (error: RoleError): string => `${error._tag}${isRetryable(error) ? " (retryable)" : ""}: ${error.message}`
 * ```
 */
export * from "./errors.js"
export {
  /**
   * Decodes a frame from outside into an `Envelope`, or says why it is none (see `Transport.ts`).
   *
   * @example
   * ```ts
   * import { Either } from "effect"
   * import { decodeEnvelope } from "quadrille"
   *
   * const decoded = decodeEnvelope({ session: "s1", from: "Client", to: "Server", label: "Ping", site: "0", loops: {}, seq: -1 })
   * if (Either.isLeft(decoded)) console.log(decoded.left) // not an envelope: ... seq ...
   * ```
   *
   * @since 0.1.0
   */
  decodeEnvelope,
  /**
   * One message on the wire.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { type Envelope, Memory } from "quadrille"
   *
   * // A frame forged by a test, as a peer would send it.
   * const frame: Envelope = { session: "s1", from: "Client", to: "Server", label: "Ping", site: "0", loops: {}, seq: 0, payload: 1 }
   * const memory = Memory.unsafeMake()
   * const program = Effect.zipRight(memory.open!("s1", "Server", ["Client", "Server"]), Effect.sync(() => memory.inject(frame)))
   * ```
   *
   * @since 0.1.0
   */
  type Envelope,
  /**
   * The Schema every frame from outside the process is decoded with.
   *
   * @example
   * ```ts
   * import { Schema } from "effect"
   * import { EnvelopeSchema } from "quadrille"
   *
   * // Frames of a transport of your own, decoded at its edge before any role sees them.
   * const decodeFrame = Schema.decodeUnknownEither(Schema.parseJson(EnvelopeSchema))
   * decodeFrame('{"session":"s1","from":"Client","to":"Server","label":"Ping","site":"0","loops":{},"seq":0,"payload":1}')
   * ```
   *
   * @since 0.1.0
   */
  EnvelopeSchema,
  /**
   * The longest name a frame may carry.
   *
   * @example
   * ```ts
   * import { decodeEnvelope, type Envelope, maxNameLength } from "quadrille"
   *
   * const frame: Envelope = { session: "s1", from: "Client", to: "Server", label: "Ping", site: "0", loops: {}, seq: 0, payload: 1 }
   *
   * decodeEnvelope({ ...frame, label: "L".repeat(maxNameLength + 1) }) // Left: the label is too long
   * ```
   *
   * @since 0.1.0
   */
  maxNameLength,
  /**
   * The service through which frames travel between roles.
   *
   * @example
   * ```ts
   * import { Effect, Schema } from "effect"
   * import { Memory, Protocol, Role, Transport } from "quadrille"
   *
   * const PingPong = Protocol.make("PingPong", {
   *   roles: ["Client", "Server"],
   *   messages: { Ping: Schema.Number, Pong: Schema.Number }
   * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
   * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
   * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
   *
   * // Roles run apart share the Transport in context.
   * const program = Effect.all([
   *   Role.run(PingPong, "Client", client, { sessionId: "s1" }),
   *   Role.run(PingPong, "Server", server, { sessionId: "s1" })
   * ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, Memory.unsafeMake()))
   * ```
   *
   * @since 0.1.0
   */
  Transport,
  /**
   * What a transport does: the service of `Transport`.
   *
   * @example
   * ```ts
   * import { Effect, Layer, Schema } from "effect"
   * import { Memory, Protocol, Role, Session, Transport, type TransportService } from "quadrille"
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
   * // A transport around the one in context that logs every frame sent.
   * const logging = Layer.effect(Transport, Effect.map(Transport, (inner): TransportService => ({
   *   ...inner,
   *   send: (e) => Effect.zipRight(Effect.logDebug(`${e.from} -> ${e.to}: ${e.label}`), inner.send(e))
   * })))
   * const program = Session.run(PingPong, roles).pipe(Effect.provide(Layer.provide(logging, Memory.layer)))
   * ```
   *
   * @since 0.1.0
   */
  type TransportService
} from "./Transport.js"
/**
 * Opt-in observability: spans, span events and Debug logs of sessions, roles and attempts.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Observe, Protocol, Role, Session } from "quadrille"
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
 * const program = Session.run(PingPong, roles).pipe(Effect.provide(Observe.layer()))
 * ```
 *
 * @since 0.1.0
 */
export * as Observe from "./Observe.js"
/**
 * The `TraceSink` service, where running roles report every step, and its in-memory recorder.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session, TraceSink } from "quadrille"
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
 * const program = Effect.gen(function*() {
 *   const [results, events] = yield* TraceSink.recording(Session.run(PingPong, roles))
 *   console.log(results.Client, events.map((e) => `${e._tag} ${e.role} ${e.label}`))
 *   // 2 [ 'Send Client Ping', 'Receive Server Ping', 'Send Server Pong', 'Receive Client Pong' ]
 * })
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 */
export * as TraceSink from "./TraceSink.js"
/**
 * The `Storage` service, where durable roles keep their checkpoints, and its in-memory layer.
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
 * // Durable roles: their state has a Schema.
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0, { state: Schema.Number })
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, { state: Schema.Number })
 *
 * const session = Effect.all([
 *   Role.resume(PingPong, "Client", client, { sessionId: "s1" }),
 *   Role.resume(PingPong, "Server", server, { sessionId: "s1" })
 * ], { concurrency: "unbounded" }).pipe(Effect.provide(Layer.merge(Memory.layer, Storage.memory)))
 * ```
 *
 * @since 0.1.0
 */
export * as Storage from "./Storage.js"
