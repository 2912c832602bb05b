/**
 * The in-memory `Transport`: one unbounded FIFO mailbox per (session, role, lane); frames are
 * passed by reference and never serialised. A role's mailboxes are dropped when it ends, and
 * a frame that comes for it later is dropped and counted; once no role of a session runs, the
 * transport holds nothing of it.
 *
 * @since 0.1.0
 */
import { Either, Effect, Layer } from "effect"
import type { TraceSinkService } from "../effects/TraceSink.js"
import { transportSink } from "../internal/observe.js"
import { decodeEnvelope, type Envelope, registerInbox, registerSynchronousClose, registerSynchronousSend, registerTap, Transport, type TransportService } from "../effects/Transport.js"
import { quote } from "../internal/bounded.js"
import { type MailboxStats, Mailboxes, openRole } from "./mailbox.js"

/**
 * What the in-memory transport holds, and what it refused.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role, Session, Transport } from "quadrille"
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
 *   const memory = yield* Memory.make
 *   yield* Session.run(PingPong, roles).pipe(Effect.provideService(Transport, memory))
 *   const stats: Memory.MemoryStats = memory.stats()
 *   return stats // once the session is over the transport holds nothing of it: stats.frames === 0
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface MemoryStats extends MailboxStats {
  /** Frames given to `inject` that did not decode as an `Envelope`. */
  readonly rejected: number
}

/**
 * The in-memory transport, with the hooks tests use.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Memory } from "quadrille"
 *
 * // A test that forges a frame, as a hostile peer would.
 * const memory: Memory.MemoryTransport = Memory.unsafeMake()
 * const program = Effect.gen(function*() {
 *   yield* memory.open!("s1", "Server", ["Client", "Server"])
 *   const delivered = memory.inject({ session: "s1", from: "Client", to: "Server", label: "Ping", site: "0", loops: {}, seq: -1 })
 *   return [delivered, memory.stats().rejected] // [false, 1]: it does not decode as an envelope
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface MemoryTransport extends TransportService {
  /**
   * Hands a frame to a role as a network would: the frame is decoded with the `Envelope`
   * schema first (one that does not decode is rejected: counted, and recorded as a `Reject`
   * event when there is a `TraceSink`), and it is dropped when its role is not running here
   * (it has not started, or it has ended), or when it would make the role hold more than 256
   * mailboxes (lanes) or 10 000 frames in one (`Drop`, reason "full"). Returns whether the
   * frame reached a mailbox.
   * Tests use it to forge frames.
   */
  readonly inject: (frame: unknown) => boolean
  /** What the transport holds now, and what it has dropped and rejected so far. */
  readonly stats: () => MemoryStats
}

/**
 * A `Reject` event for a frame that is no envelope: its names quoted as far as they are strings.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { decodeEnvelope, Memory, TraceSink } from "quadrille"
 *
 * // A transport of your own records a frame from outside that is no envelope as the memory transport does.
 * const sink = TraceSink.unsafeMakeRecorder()
 * const frame: unknown = JSON.parse('{"session":"s1","from":"Client","to":"Server","seq":"zero"}')
 * const decoded = decodeEnvelope(frame)
 * if (Either.isLeft(decoded)) sink.record(Memory.rejectEvent(frame, decoded.left))
 * // sink.events()[0]: { _tag: "Reject", session: "s1", role: "Client", peer: "Server", label: "?", ... }
 * ```
 *
 * @since 0.1.0
 */
export const rejectEvent = (frame: unknown, reason: string) => {
  const field = (k: string): string => {
    try {
      const v = typeof frame === "object" && frame !== null ? (frame as Record<string, unknown>)[k] : undefined
      return typeof v === "string" ? quote(v) : "?"
    } catch {
      return "?"
    }
  }
  return { _tag: "Reject" as const, session: field("session"), role: field("from"), peer: field("to"), label: field("label"), site: field("site"), reason }
}

/**
 * A fresh in-memory transport that records drops and rejections in `sink` (when given).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role, Session, TraceSink, Transport } from "quadrille"
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
 * // Drops and rejected frames recorded in a sink of the test's own.
 * const recorder = TraceSink.unsafeMakeRecorder()
 * const memory = Memory.unsafeMake(recorder)
 * const program = Session.run(PingPong, roles).pipe(Effect.provideService(Transport, memory))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const unsafeMake = (sink?: TraceSinkService): MemoryTransport => {
  const boxes = new Mailboxes(sink === undefined ? undefined : (e, reason) =>
    sink.record({ _tag: "Drop", session: e.session, role: e.from, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason }))
  let rejected = 0
  const deliver = (envelope: Envelope): void => void boxes.deliver(envelope)
  const inject = (frame: unknown): boolean => {
    const decoded = decodeEnvelope(frame)
    if (Either.isLeft(decoded)) {
      rejected++
      sink?.record(rejectEvent(frame, decoded.left))
      return false
    }
    const e = decoded.right
    // A network delivers only to roles that listen: a frame for one not running here goes.
    if (!boxes.isOpen(e.session, e.to)) {
      sink?.record({ _tag: "Drop", session: e.session, role: e.from, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason: "closed" })
      return false
    }
    return boxes.deliver(e, true)
  }
  const transport: MemoryTransport = {
    serialises: false,
    inject,
    stats: () => ({ ...boxes.stats(), rejected }),
    send: (envelope: Envelope) => Effect.sync(() => deliver(envelope)),
    // The mailbox's own `take`, looked up once per receiver rather than once per frame.
    receive: (session: string, role: string, mailbox?: string) => boxes.get(session, role, mailbox).take,
    open: (session: string, role: string, roles?: ReadonlyArray<string>) => openRole(boxes, session, role, roles),
    close: (session: string, role: string) => Effect.sync(() => boxes.release(session, role)),
    detach: (session, role, uncommitted) => Effect.sync(() => boxes.unread(session, role, uncommitted))
  }
  // `send` is exactly `Effect.sync(() => deliver(envelope))`: channels may call `deliver` directly.
  registerSynchronousSend(transport, deliver)
  // `close` is exactly `Effect.sync(() => boxes.release(session, role))`.
  registerSynchronousClose(transport, (session, role) => boxes.release(session, role))
  // `receive` is exactly the `take` of `boxes.get(…)`: channels may take from that mailbox directly.
  registerInbox(transport, (session, role, mailbox) => boxes.get(session, role, mailbox))
  // A layer above (the reliable layer) may take a mailbox's frames as they are delivered.
  registerTap(transport, { listen: (session, role, mailbox, listener) => boxes.get(session, role, mailbox).listen(listener), send: deliver })
  return transport
}

/**
 * A fresh in-memory transport; it records drops and rejections in the `TraceSink` in context, if any
 * (and, with `Observe` in context, as span events and Debug logs).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role, Session, Transport } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 *
 * const program = Effect.gen(function*() {
 *   const memory = yield* Memory.make
 *   // Roles run apart, over one transport.
 *   return yield* Effect.all([
 *     Role.run(PingPong, "Client", client, { sessionId: "s1" }),
 *     Role.run(PingPong, "Server", server, { sessionId: "s1" })
 *   ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, memory))
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: Effect.Effect<MemoryTransport> = Effect.map(transportSink, unsafeMake)

/**
 * A fresh in-memory transport that also keeps every frame sent through it, in the order sent
 * (for demos and tests; a `TraceSink` records richer events).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role, Session, Transport } from "quadrille"
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
 *   const { frames, transport } = yield* Memory.recording
 *   yield* Session.run(PingPong, roles).pipe(Effect.provideService(Transport, transport))
 *   return frames.map((e) => `${e.from} -> ${e.to}: ${e.label} ${JSON.stringify(e.payload)}`) // ["Client -> Server: Ping 1", "Server -> Client: Pong 2"]
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const recording: Effect.Effect<{ readonly transport: TransportService; readonly frames: ReadonlyArray<Envelope> }> =
  Effect.map(make, (memory) => {
    const frames: Array<Envelope> = []
    const transport: TransportService = {
      ...memory,
      send: (e) => Effect.suspend(() => (frames.push(e), memory.send(e)))
    }
    return { transport, frames }
  })

/**
 * Runs `effect` (a session, say) over a fresh recording transport; returns its result and
 * the frames sent.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role, Session } from "quadrille"
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
 *   const { frames, result } = yield* Memory.recorded(Session.run(PingPong, roles))
 *   return { client: result.Client, labels: frames.map((e) => e.label) } // { client: 2, labels: ["Ping", "Pong"] }
 * })
 * Effect.runPromise(program).then(console.log)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const recorded = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<{ readonly result: A; readonly frames: ReadonlyArray<Envelope> }, E, Exclude<R, Transport>> =>
  Effect.flatMap(recording, ({ frames, transport }) =>
    Effect.map(Effect.provideService(effect, Transport, transport), (result) => ({ result, frames })))

/**
 * The in-memory transport as a layer.
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
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 *
 * const program = Effect.all([
 *   Role.run(PingPong, "Client", client, { sessionId: "s1" }),
 *   Role.run(PingPong, "Server", server, { sessionId: "s1" })
 * ], { concurrency: "unbounded" }).pipe(Effect.provide(Memory.layer))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Transport> = Layer.effect(Transport, make)
