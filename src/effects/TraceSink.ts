/**
 * The `TraceSink` service: where a running role reports what it does (every send, receive,
 * choice and repeat decision), for model-based testing with `Trace.validate` and for
 * diagrams. Without a `TraceSink` in context nothing is recorded and nothing is paid.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"

/**
 * One thing a role did, as its channel saw it, or one thing the network did to a frame.
 *
 * Role events (what `Trace.validate` checks against the protocol):
 * - `Send`: `role` sent `label` to `peer` (at `site`, on `lane`, with per-pair sequence `seq`).
 * - `Receive`: `role` accepted `label` from `peer` (the envelope's site, lane and seq).
 * - `Choice`: `role` (the chooser) took `branch` of the choice named `label` at `site`.
 * - `Round`: `role` decided `branch` ("again" or "done") of the `repeat` named `label` at `site`.
 *
 * Network events (recorded by the chaos and reliable-delivery layers; `role` is the frame's
 * sender, `peer` its receiver, and the frame's label, site, lane and seq are given):
 * - `Drop`: the frame was lost; `reason` says why: "chaos" (the drop rate), "partition",
 *   "transport" (the wrapped transport failed to send a delayed frame), "closed" (it came for
 *   a role that had ended), "unread" (it was still waiting when its role ended), "window" (it
 *   came too far ahead of the frames the reliable layer still waits for).
 * - `Failed`: `role` failed (or was interrupted) and sent `peer` a failure notice; `reason`
 *   is the tag of its error ("interrupted", "defect" for those).
 * - `PeerFailed`: `role` learned from a notice that `peer` had failed, while waiting at `site`.
 * - `Reject`: a frame from outside did not decode as an `Envelope`; `reason` says why (in
 *   bounded words), and the names it carried are quoted as far as they are strings ("?" else).
 * - `Refused`: (TCP) a connection was refused before any frame passed: `role` refused (or was
 *   refused by) `peer`, the role the other end claimed; `reason` says which way and why.
 * - `Duplicate`: the frame was delivered twice.
 * - `Retransmit`: the reliable layer sent the frame again, not having had its acknowledgement.
 *
 * `time` is a logical clock: the position of the event in the sink, from 0. `at` is the time
 * of Effect's `Clock` in milliseconds, when the sink was given one (the simulator's virtual
 * clock in `simulate`).
 *
 * @example
 * ```ts
 * import { TraceSink } from "quadrille"
 *
 * // The messages of a trace, one a line.
 * const messages = (events: ReadonlyArray<TraceSink.TraceEvent>): Array<string> =>
 *   events.filter((e) => e._tag === "Send").map((e) => `${e.time}: ${e.role} -> ${e.peer}: ${e.label}`)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface TraceEvent {
  readonly _tag: "Send" | "Receive" | "Choice" | "Round" | "Drop" | "Duplicate" | "Retransmit" | "Reject" | "Refused" | "Failed" | "PeerFailed"
  readonly session: string
  readonly role: string
  readonly peer?: string | undefined
  readonly label?: string | undefined
  readonly branch?: string | undefined
  /** The site id; for a sender that cannot tell several identical sites apart, the candidates joined by `|`. */
  readonly site: string
  /** Absent on a role's main line; else the lane of one branch of one run of a `parallel`. */
  readonly lane?: string | undefined
  readonly seq?: number | undefined
  /** Why a frame was dropped or rejected (see the event tags above). */
  readonly reason?: string | undefined
  readonly time: number
  /** The clock's time in milliseconds, when the recorder was given a clock. */
  readonly at?: number | undefined
}

/**
 * The tags of the events a role records itself (the others are the network's).
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
 *   const [, events] = yield* TraceSink.recording(Session.run(PingPong, roles))
 *   // What the roles did, without what the network did to their frames.
 *   return events.filter((e) => TraceSink.roleEventTags.has(e._tag))
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export const roleEventTags: ReadonlySet<TraceEvent["_tag"]> = new Set(["Send", "Receive", "Choice", "Round"])

/**
 * What a channel hands to the sink: an event without its time (the sink stamps it).
 *
 * @example
 * ```ts
 * import { TraceSink } from "quadrille"
 *
 * // A sink that writes each event as a line of JSON, stamped with the wall clock.
 * const jsonLines: TraceSink.TraceSinkService = {
 *   record: (event: TraceSink.TraceEventInput) => console.log(JSON.stringify({ ...event, at: Date.now() }))
 * }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type TraceEventInput = Omit<TraceEvent, "time" | "at">

/**
 * A sink of trace events. `record` is called synchronously from the channel, in the fiber of
 * the role, at the moment the step happens: it must not block or throw.
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
 * // A sink of your own: must not block or throw, as it is called in the role's fiber.
 * const printer: TraceSink.TraceSinkService = { record: (e) => console.log(e._tag, e.role, e.peer ?? "", e.label ?? "") }
 * const program = Session.run(PingPong, roles).pipe(Effect.provide(TraceSink.layer(printer)))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface TraceSinkService {
  readonly record: (event: TraceEventInput) => void
}

/**
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
 * const recorder = TraceSink.unsafeMakeRecorder()
 * const program = Session.run(PingPong, roles).pipe(Effect.provideService(TraceSink.TraceSink, recorder))
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class TraceSink extends Context.Tag("quadrille/TraceSink")<TraceSink, TraceSinkService>() {}

/**
 * An in-memory recorder: keeps every event in the order recorded, stamped with a logical
 * time (a counter from 0).
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
 * const recorder: TraceSink.Recorder = TraceSink.unsafeMakeRecorder()
 * const twice = Effect.gen(function*() {
 *   yield* Session.run(PingPong, roles).pipe(Effect.provide(TraceSink.layer(recorder)))
 *   const first = recorder.events()
 *   recorder.clear()
 *   yield* Session.run(PingPong, roles).pipe(Effect.provide(TraceSink.layer(recorder)))
 *   return [first, recorder.events()]
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Recorder extends TraceSinkService {
  /** The events recorded so far, oldest first (a snapshot). */
  readonly events: () => ReadonlyArray<TraceEvent>
  /** Forgets every event and restarts the clock at 0. */
  readonly clear: () => void
}

/**
 * A new in-memory recorder (synchronous). With `now`, every event is also stamped with
 * `at: now()` (milliseconds).
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
 * // Every event stamped with the wall clock as well (`at`).
 * const recorder = TraceSink.unsafeMakeRecorder(Date.now)
 * Effect.runPromise(Session.run(PingPong, roles).pipe(Effect.provide(TraceSink.layer(recorder))))
 *   .then(() => console.log(recorder.events().map((e) => `${e.at} ${e._tag} ${e.role} ${e.label}`)))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const unsafeMakeRecorder = (now?: () => number): Recorder => {
  let log: Array<TraceEvent> = []
  return {
    record: now === undefined
      ? (event) => {
        log.push({ ...event, time: log.length })
      }
      : (event) => {
        log.push({ ...event, time: log.length, at: now() })
      },
    events: () => log.slice(),
    clear: () => {
      log = []
    }
  }
}

/**
 * A new in-memory recorder.
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
 *   const recorder = yield* TraceSink.makeRecorder
 *   yield* Session.run(PingPong, roles).pipe(Effect.provide(TraceSink.layer(recorder)))
 *   return recorder.events()
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeRecorder: Effect.Effect<Recorder> = Effect.sync(unsafeMakeRecorder)

/**
 * Provides `sink` as the `TraceSink`.
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
 * const recorder = TraceSink.unsafeMakeRecorder()
 * const program = Session.run(PingPong, roles).pipe(Effect.provide(TraceSink.layer(recorder)))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (sink: TraceSinkService): Layer.Layer<TraceSink> => Layer.succeed(TraceSink, sink)

/**
 * Runs `effect` with a fresh in-memory recorder as its `TraceSink`; returns its result and
 * the events recorded.
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
 * @category running
 * @since 0.1.0
 */
export const recording = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<readonly [A, ReadonlyArray<TraceEvent>], E, Exclude<R, TraceSink>> =>
  Effect.suspend(() => {
    const recorder = unsafeMakeRecorder()
    return Effect.map(Effect.provideService(effect, TraceSink, recorder), (a) => [a, recorder.events()] as const)
  })
