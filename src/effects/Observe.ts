/**
 * The `Observe` service: opt-in observability through Effect's own tracing and logging.
 *
 * With `Observe` in context (`Observe.layer()` or `Observe.observed(effect)`):
 * - `Session.run` runs in a span `quadrille.session`, and each role (also `Role.run`,
 *   `Role.resume`) in a span `quadrille.role` under it, with the attributes
 *   `quadrille.protocol`, `quadrille.role` and `quadrille.session`;
 * - each attempt of `Session.retry` / `Role.retry` runs in a span `quadrille.attempt`
 *   (attribute `quadrille.attempt`, from 1);
 * - every step of a role becomes a span event on its role span: `quadrille.send`,
 *   `quadrille.receive`, `quadrille.choice`, `quadrille.round`, `quadrille.timeout` (a timeout's
 *   verdict), `quadrille.compensation` (a saga's verdict or report), `quadrille.failed`,
 *   `quadrille.peer-failed`, `quadrille.drop`, ... with the attributes `quadrille.role`,
 *   `quadrille.peer`, `quadrille.label`, `quadrille.branch`, `quadrille.site`,
 *   `quadrille.lane`, `quadrille.seq`, `quadrille.reason`, `quadrille.session`,
 *   `quadrille.protocol` (those the step has);
 * - and a log at level Debug through the fiber's loggers (so only when the minimum log level
 *   lets Debug through, e.g. `Logger.minimumLogLevel(LogLevel.Debug)`), annotated with the same
 *   attributes.
 *
 * Why an explicit service and not "whenever a tracer is there": Effect always has a tracer (the
 * default one makes native spans that nobody reads), so there is no cheap way to tell whether
 * spans are wanted; and a role's steps are on its hot path (a frame costs a few hundred
 * nanoseconds). Without `Observe` the runtime does exactly what it did before: one context
 * look-up per run, nothing per step. `@effect/opentelemetry`'s tracer and logger pick up these
 * spans, events and logs as they are.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Context, Effect, Fiber, FiberRef, HashMap, Layer, Logger, LogLevel, type Tracer } from "effect"
import * as DefaultServices from "effect/DefaultServices"
import type { TraceEventInput, TraceSinkService } from "./TraceSink.js"

/**
 * What to observe (both by default).
 *
 * @category models
 */
export interface ObserveOptions {
  /** Spans and span events (default: true). */
  readonly spans?: boolean | undefined
  /** Debug logs of each step (default: true; still subject to the minimum log level). */
  readonly logs?: boolean | undefined
}

/**
 * @category models
 */
export interface ObserveService {
  readonly spans: boolean
  readonly logs: boolean
}

/**
 * @category services
 */
export class Observe extends Context.Tag("quadrille/Observe")<Observe, ObserveService>() {}

const settings = (options: ObserveOptions = {}): ObserveService => ({ spans: options.spans ?? true, logs: options.logs ?? true })

/**
 * Turns observability on for everything that runs with this layer.
 *
 * @category layers
 */
export const layer = (options?: ObserveOptions): Layer.Layer<Observe> => Layer.succeed(Observe, settings(options))

/**
 * Runs `effect` with observability on.
 *
 * @category running
 */
export const observed = <A, E, R>(effect: Effect.Effect<A, E, R>, options?: ObserveOptions): Effect.Effect<A, E, Exclude<R, Observe>> =>
  Effect.provideService(effect, Observe, settings(options))

/**
 * The span names.
 *
 * @category models
 */
export const spanNames = {
  session: "quadrille.session",
  role: "quadrille.role",
  attempt: "quadrille.attempt"
} as const

const eventNames: Record<TraceEventInput["_tag"], string> = {
  Send: "quadrille.send",
  Receive: "quadrille.receive",
  Choice: "quadrille.choice",
  Round: "quadrille.round",
  Drop: "quadrille.drop",
  Duplicate: "quadrille.duplicate",
  Retransmit: "quadrille.retransmit",
  Reject: "quadrille.reject",
  Refused: "quadrille.refused",
  Failed: "quadrille.failed",
  PeerFailed: "quadrille.peer-failed"
}

/** The attributes of a step: those it has, named `quadrille.*`. */
const attributesOf = (protocol: string, event: TraceEventInput): Record<string, unknown> => {
  const a: Record<string, unknown> = {
    "quadrille.protocol": protocol,
    "quadrille.session": event.session,
    "quadrille.role": event.role
  }
  if (event.peer !== undefined) a["quadrille.peer"] = event.peer
  if (event.label !== undefined) a["quadrille.label"] = event.label
  if (event.branch !== undefined) a["quadrille.branch"] = event.branch
  a["quadrille.site"] = event.site
  if (event.lane !== undefined) a["quadrille.lane"] = event.lane
  if (event.seq !== undefined) a["quadrille.seq"] = event.seq
  if (event.reason !== undefined) a["quadrille.reason"] = event.reason
  return a
}

const describe = (name: string, e: TraceEventInput): string => {
  const step = name.slice("quadrille.".length)
  const arrow = e._tag === "Receive" ? "<-" : "->"
  const peer = e.peer === undefined ? "" : ` ${arrow} ${e.peer}`
  const label = e.label === undefined ? "" : ` ${e.label}`
  const branch = e.branch === undefined ? "" : ` = ${e.branch}`
  const reason = e.reason === undefined ? "" : ` (${e.reason})`
  return `quadrille ${step}: ${e.role}${peer}${label}${branch}${reason}`
}

/**
 * The sink a channel is given when its role is observed: each event becomes a span event on
 * the role's span and a Debug log, and goes on to the `TraceSink` in context, if any.
 *
 * @internal
 */
export class Observer implements TraceSinkService {
  /** The role's span, set when the role starts (inside its span). */
  span: Tracer.Span | undefined = undefined
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined

  constructor(
    readonly settings: ObserveService,
    readonly protocol: string,
    readonly inner: TraceSinkService | undefined
  ) {}

  readonly record = (event: TraceEventInput): void => {
    this.inner?.record(event)
    this.emit(eventNames[event._tag], event)
  }

  /** A timeout's or a saga's verdict (recorded as a `Choice` for the `TraceSink`). */
  verdict(event: TraceEventInput, kind: "timeout" | "saga"): void {
    this.inner?.record(event)
    this.emit(kind === "timeout" ? "quadrille.timeout" : "quadrille.compensation", event)
  }

  emit(name: string, event: TraceEventInput): void {
    const current = Fiber.getCurrentFiber()
    const fiber = current._tag === "Some" ? current.value : this.fiber
    if (fiber === undefined) return
    const attributes = attributesOf(this.protocol, event)
    const clock = Context.get(fiber.getFiberRef(DefaultServices.currentServices), Clock.Clock)
    if (this.settings.spans && this.span !== undefined) this.span.event(name, clock.unsafeCurrentTimeNanos(), attributes)
    if (this.settings.logs) log(fiber, clock, describe(name, event), attributes, this.settings.spans)
  }
}

/**
 * Logs `message` at Debug on `fiber`'s loggers, synchronously (a channel records in the middle
 * of a step, outside any effect), as `Effect.logDebug` would, with `annotations` added. With
 * `spans`, not to Effect's `tracerLogger` (which makes a span event of every log): the step is
 * a span event already.
 */
const log = (fiber: Fiber.RuntimeFiber<unknown, unknown>, clock: Clock.Clock, message: string, annotations: Record<string, unknown>, spans: boolean): void => {
  if (LogLevel.greaterThan(fiber.getFiberRef(FiberRef.currentMinimumLogLevel), LogLevel.Debug)) return
  const loggers = fiber.getFiberRef(FiberRef.currentLoggers)
  let all = fiber.getFiberRef(FiberRef.currentLogAnnotations)
  for (const key in annotations) all = HashMap.set(all, key, annotations[key])
  const entry = {
    fiberId: fiber.id(),
    logLevel: LogLevel.Debug,
    message,
    cause: Cause.empty,
    context: fiber.getFiberRefs(),
    spans: fiber.getFiberRef(FiberRef.currentLogSpan),
    annotations: all,
    date: new Date(clock.unsafeCurrentTimeMillis())
  }
  for (const logger of loggers) {
    if (spans && logger === Logger.tracerLogger) continue
    logger.log(entry)
  }
}

/**
 * A failed attempt that is to be retried: a span event `quadrille.retry` on the current span
 * (the caller's: the attempt's span has ended) and a Debug log.
 *
 * @internal
 */
export const observeRetry = (observe: ObserveService, what: string, attempt: number, error: string): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    const clock = Context.get(fiber.getFiberRef(DefaultServices.currentServices), Clock.Clock)
    const attributes = { "quadrille.attempt": attempt, "quadrille.reason": error }
    const span = fiber.currentSpan
    if (observe.spans && span !== undefined && span._tag === "Span") span.event("quadrille.retry", clock.unsafeCurrentTimeNanos(), attributes)
    if (observe.logs) log(fiber as Fiber.RuntimeFiber<unknown, unknown>, clock, `quadrille retry: ${what}, attempt ${attempt} failed (${error})`, attributes, observe.spans)
    return Effect.void
  })

/**
 * Runs a role's `body` in its span `quadrille.role` (when spans are observed), binding
 * `observer` to that span, with its log annotations (when logs are observed).
 *
 * @internal
 */
export const observeRole = <A, E, R>(
  observer: Observer,
  body: Effect.Effect<A, E, R>,
  role: string,
  session: string
): Effect.Effect<A, E, R> => {
  const attributes = { "quadrille.protocol": observer.protocol, "quadrille.role": role, "quadrille.session": session }
  const bound = Effect.withFiberRuntime<A, E, R>((fiber) => {
    observer.fiber = fiber as Fiber.RuntimeFiber<unknown, unknown>
    const span = fiber.currentSpan
    observer.span = span !== undefined && span._tag === "Span" ? span : undefined
    return body
  })
  // The annotations are for the logs of the role's own handlers (the steps' logs carry theirs).
  const annotated = observer.settings.logs ? Effect.annotateLogs(bound, attributes) : bound
  return observer.settings.spans ? Effect.withSpan(annotated, spanNames.role, { attributes, captureStackTrace: false }) : annotated
}

/**
 * Runs `effect` in a span `name` with `attributes` when spans are observed, annotating its logs
 * with them when logs are.
 *
 * @internal
 */
export const observeSpan = <A, E, R>(
  observe: ObserveService | undefined,
  effect: Effect.Effect<A, E, R>,
  name: string,
  attributes: Record<string, unknown>
): Effect.Effect<A, E, R> => {
  if (observe === undefined) return effect
  const spanned = observe.spans ? Effect.withSpan(effect, name, { attributes, captureStackTrace: false }) : effect
  return observe.logs ? Effect.annotateLogs(spanned, attributes) : spanned
}
