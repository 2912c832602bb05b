/**
 * The `Observe` service: opt-in observability through Effect's own tracing and logging.
 *
 * With `Observe` in context (`Observe.layer()` or `Observe.observed(effect)`):
 * - `Session.run` runs in a span `quadrille.session`, and each role (also `Role.run`,
 *   `Role.resume`) in a span `quadrille.role` under it, with the attributes
 *   `quadrille.protocol`, `quadrille.role` and `quadrille.session`;
 * - each attempt of `Session.retry` / `Role.retry` runs in a span `quadrille.attempt`
 *   (attributes `quadrille.attempt`, from 1, `quadrille.protocol`, `quadrille.session`, the
 *   attempt's own id, and `quadrille.role` for `Role.retry`), and a failed attempt that is
 *   retried is a span event `quadrille.retry` on the caller's span;
 * - every step of a role becomes a span event on its role span: `quadrille.send`,
 *   `quadrille.receive`, `quadrille.choice`, `quadrille.round`, `quadrille.timeout` (a timeout's
 *   verdict, given or told), `quadrille.compensation` (a saga's verdict or report),
 *   `quadrille.failed`, `quadrille.peer-failed`, `quadrille.drop`, ... with the attributes
 *   `quadrille.role`, `quadrille.peer`, `quadrille.label`, `quadrille.branch`,
 *   `quadrille.site`, `quadrille.lane`, `quadrille.seq`, `quadrille.reason`,
 *   `quadrille.session`, `quadrille.protocol` (those the step has);
 * - what the network does to a frame (a chaos drop or duplicate, a reliable retransmission, a
 *   rejected or refused TCP frame or connection, a frame for a role that has ended) is a span
 *   event on the span current where it happens (the sending role's, for a frame lost as it is
 *   sent), when `Observe` is in context where the transport layer is built;
 * - and each of these is also a log at level Debug through the fiber's loggers (so only when
 *   the minimum log level lets Debug through, e.g. `Logger.minimumLogLevel(LogLevel.Debug)`),
 *   annotated with the same attributes.
 *
 * Why an explicit service and not "whenever a tracer is there": Effect always has a tracer (the
 * default one makes native spans that nobody reads), so there is no cheap way to tell whether
 * spans are wanted; and a role's steps are on its hot path (a frame costs a few hundred
 * nanoseconds). Without `Observe` the runtime does exactly what it did before: one context
 * look-up per run, nothing per step. `@effect/opentelemetry`'s tracer and logger pick up these
 * spans, events and logs as they are (`examples/opentelemetry.ts`).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"

/**
 * What to observe (both by default).
 *
 * @example
 * ```ts
 * import { Observe } from "quadrille"
 *
 * // Spans and span events, but no Debug logs.
 * const options: Observe.ObserveOptions = { logs: false }
 * export const SpansOnly = Observe.layer(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ObserveOptions {
  /** Spans and span events (default: true). */
  readonly spans?: boolean | undefined
  /** Debug logs of each step (default: true; still subject to the minimum log level). */
  readonly logs?: boolean | undefined
}

/**
 * What the `Observe` service holds: the options, settled.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Observe } from "quadrille"
 *
 * // Whether the code around asked for spans.
 * export const spansWanted: Effect.Effect<boolean> = Effect.map(
 *   Effect.serviceOption(Observe.Observe),
 *   (o) => o._tag === "Some" && o.value.spans
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ObserveService {
  readonly spans: boolean
  readonly logs: boolean
}

/**
 * The tag of the service: in context, sessions and roles are observed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Observe } from "quadrille"
 *
 * const session = Effect.succeed("a session, e.g. Session.run(...)")
 *
 * export const observed = Effect.provideService(session, Observe.Observe, { spans: true, logs: false })
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class Observe extends Context.Tag("quadrille/Observe")<Observe, ObserveService>() {}

const settings = (options: ObserveOptions = {}): ObserveService => ({ spans: options.spans ?? true, logs: options.logs ?? true })

/**
 * Turns observability on for everything that runs with this layer. Merge it with the tracer
 * layer of `@effect/opentelemetry` (or any tracer) to export the spans.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Logger, LogLevel } from "effect"
 * import { Observe } from "quadrille"
 *
 * const session = Effect.succeed("a session, e.g. Session.run(...)")
 *
 * // Spans, span events and Debug logs of every step.
 * const Observed = Layer.merge(Observe.layer(), Logger.minimumLogLevel(LogLevel.Debug))
 * export const program = Effect.provide(session, Observed)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: ObserveOptions): Layer.Layer<Observe> => Layer.succeed(Observe, settings(options))

/**
 * Runs `effect` with observability on (`Observe.layer(options)`, as a function).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Observe, Protocol, Role, Session } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Struct({}), Pong: Schema.Struct({}) }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const roles = {
 *   A: Role.implement(PingPong, "A", { send: { Ping: () => ({}) }, recv: { Pong: (s) => s + 1 } }, 0),
 *   B: Role.implement(PingPong, "B", { recv: { Ping: (s) => s + 1 }, send: { Pong: () => ({}) } }, 0)
 * }
 *
 * // A span quadrille.session, a span quadrille.role per role, a span event per step.
 * export const program = Observe.observed(Session.run(PingPong, roles)).pipe(Effect.withSpan("ping"))
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const observed = <A, E, R>(effect: Effect.Effect<A, E, R>, options?: ObserveOptions): Effect.Effect<A, E, Exclude<R, Observe>> =>
  Effect.provideService(effect, Observe, settings(options))

/**
 * The span names.
 *
 * @example
 * ```ts
 * import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
 * import { Observe } from "quadrille"
 *
 * // The role spans among those an exporter has.
 * export const roleSpans = (spans: ReadonlyArray<ReadableSpan>) => spans.filter((s) => s.name === Observe.spanNames.role)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const spanNames = {
  session: "quadrille.session",
  role: "quadrille.role",
  attempt: "quadrille.attempt"
} as const

/**
 * The span event names: one per kind of step (the keys are the `TraceEvent` tags, and
 * `Timeout`, `Compensation` and `Retry`, which a `TraceSink` sees as a `Choice` or not at all).
 *
 * @example
 * ```ts
 * import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
 * import { Observe } from "quadrille"
 *
 * // The timeouts that ran out, by role.
 * export const timedOut = (spans: ReadonlyArray<ReadableSpan>) =>
 *   spans.flatMap((s) => s.events)
 *     .filter((e) => e.name === Observe.eventNames.Timeout && e.attributes?.["quadrille.branch"] === "timeout")
 *     .map((e) => e.attributes?.["quadrille.role"])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const eventNames = {
  Send: "quadrille.send",
  Receive: "quadrille.receive",
  Choice: "quadrille.choice",
  Round: "quadrille.round",
  Timeout: "quadrille.timeout",
  Compensation: "quadrille.compensation",
  Retry: "quadrille.retry",
  Drop: "quadrille.drop",
  Duplicate: "quadrille.duplicate",
  Retransmit: "quadrille.retransmit",
  Reject: "quadrille.reject",
  Refused: "quadrille.refused",
  Failed: "quadrille.failed",
  PeerFailed: "quadrille.peer-failed"
} as const
