/**
 * The machinery behind `Observe`: the sink a role's channel records into when it is observed,
 * the sink a transport records into, and the spans of sessions, roles and attempts.
 *
 * @internal
 */
import { Cause, Clock, Context, Effect, Fiber, FiberRef, HashMap, Logger, LogLevel, Option, type Tracer } from "effect"
import * as DefaultServices from "effect/DefaultServices"
import { eventNames, Observe, type ObserveService, spanNames } from "../effects/Observe.js"
import { type TraceEventInput, TraceSink, type TraceSinkService } from "../effects/TraceSink.js"

/** The attributes of a step: those it has, named `quadrille.*`. */
const attributesOf = (protocol: string | undefined, event: TraceEventInput): Record<string, unknown> => {
  const a: Record<string, unknown> = {}
  if (protocol !== undefined) a["quadrille.protocol"] = protocol
  a["quadrille.session"] = event.session
  a["quadrille.role"] = event.role
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

const clockOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Clock.Clock => Context.get(fiber.getFiberRef(DefaultServices.currentServices), Clock.Clock)

/** A span event `name` on `span` (when spans are observed) and a Debug log on `fiber` (when logs are). */
const emitOn = (
  observe: ObserveService,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  span: Tracer.Span | undefined,
  name: string,
  attributes: Record<string, unknown>,
  message: string
): void => {
  const clock = clockOf(fiber)
  if (observe.spans && span !== undefined) span.event(name, clock.unsafeCurrentTimeNanos(), attributes)
  if (observe.logs) log(fiber, clock, message, attributes, observe.spans)
}

const currentFiber = (fallback: Fiber.RuntimeFiber<unknown, unknown> | undefined): Fiber.RuntimeFiber<unknown, unknown> | undefined => {
  const current = Fiber.getCurrentFiber()
  return current._tag === "Some" ? current.value : fallback
}

const spanOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Tracer.Span | undefined => {
  const span = fiber.currentSpan
  return span !== undefined && span._tag === "Span" ? span : undefined
}

/**
 * The sink a channel is given when its role is observed: each event becomes a span event on
 * the role's span and a Debug log, and goes on to the `TraceSink` in context, if any.
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

  /** A timeout's or a saga's verdict, or a saga role's report (recorded as a `Choice` for the `TraceSink`). */
  verdict(event: TraceEventInput, kind: "timeout" | "saga"): void {
    this.inner?.record(event)
    this.emit(kind === "timeout" ? eventNames.Timeout : eventNames.Compensation, event)
  }

  /**
   * A verdict this role was told by the deciding role (`peer`): a span event and a log only,
   * not a `TraceSink` event (the trace has the decider's `Choice`, which is what `Trace.validate`
   * checks).
   */
  told(event: TraceEventInput, kind: "timeout" | "saga"): void {
    this.emit(kind === "timeout" ? eventNames.Timeout : eventNames.Compensation, event)
  }

  emit(name: string, event: TraceEventInput): void {
    const fiber = currentFiber(this.fiber)
    if (fiber === undefined) return
    emitOn(this.settings, fiber, this.span, name, attributesOf(this.protocol, event), describe(name, event))
  }
}

/**
 * The sink a transport records into, from the context it is built in: with `Observe` there,
 * what the network does to a frame is also a span event on the span current where it happens
 * (the role's, in a role's fiber; else that of the fiber that built the transport) and a Debug
 * log. Without `Observe`, the `TraceSink` in context as it is: nothing more is paid.
 */
export const transportSink: Effect.Effect<TraceSinkService | undefined> = Effect.withFiberRuntime((builder) => {
  const context = builder.currentContext
  const inner = Option.getOrUndefined(Context.getOption(context, TraceSink))
  const observe = Option.getOrUndefined(Context.getOption(context, Observe))
  if (observe === undefined) return Effect.succeed(inner)
  const fallback = builder as Fiber.RuntimeFiber<unknown, unknown>
  const sink: TraceSinkService = {
    record: (event) => {
      inner?.record(event)
      const fiber = currentFiber(fallback)!
      const name = eventNames[event._tag]
      emitOn(observe, fiber, spanOf(fiber), name, attributesOf(undefined, event), describe(name, event))
    }
  }
  return Effect.succeed(sink)
})

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

/** Who is retried: the protocol, the base session id and, for `Role.retry`, the role. */
export interface Retried {
  readonly protocol: string
  readonly session: string
  readonly role?: string | undefined
}

/** The attributes of attempt `k`'s span: its number, and whose attempt it is. */
export const attemptAttributes = (retried: Retried, session: string, k: number): Record<string, unknown> => {
  const a: Record<string, unknown> = { "quadrille.attempt": k, "quadrille.protocol": retried.protocol, "quadrille.session": session }
  if (retried.role !== undefined) a["quadrille.role"] = retried.role
  return a
}

const stringField = (e: unknown, key: string): string | undefined => {
  if (typeof e !== "object" || e === null || !(key in e)) return undefined
  const v = (e as Record<string, unknown>)[key]
  return typeof v === "string" && v !== "" ? v : undefined
}

/**
 * A failed attempt that is to be retried: a span event `quadrille.retry` on the current span
 * (the caller's: the attempt's span has ended) and a Debug log. Its attributes: the attempt,
 * its session, the error's tag as the reason, and the role, peer, label and site the error
 * names (for `Role.retry`, the role retried).
 */
export const observeRetry = (observe: ObserveService, what: string, retried: Retried, session: string, attempt: number, error: unknown, tag: string): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    const attributes = attemptAttributes(retried, session, attempt)
    attributes["quadrille.reason"] = tag
    for (const key of ["role", "peer", "label", "site"]) {
      const v = key === "role" && retried.role !== undefined ? retried.role : stringField(error, key)
      if (v !== undefined) attributes[`quadrille.${key}`] = v
    }
    const f = fiber as Fiber.RuntimeFiber<unknown, unknown>
    emitOn(observe, f, spanOf(f), eventNames.Retry, attributes, `quadrille retry: ${what}, attempt ${attempt} failed (${tag})`)
    return Effect.void
  })

/**
 * Runs a role's `body` in its span `quadrille.role` (when spans are observed), binding
 * `observer` to that span, with its log annotations (when logs are observed).
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
    observer.span = spanOf(observer.fiber)
    return body
  })
  // The annotations are for the logs of the role's own handlers (the steps' logs carry theirs).
  const annotated = observer.settings.logs ? Effect.annotateLogs(bound, attributes) : bound
  return observer.settings.spans ? Effect.withSpan(annotated, spanNames.role, { attributes, captureStackTrace: false }) : annotated
}

/**
 * Runs `effect` in a span `name` with `attributes` when spans are observed, annotating its logs
 * with them when logs are.
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
