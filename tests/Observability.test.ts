/**
 * Observability: with `Observe` in context, sessions, roles and retry attempts are Effect spans,
 * every step of a role a span event on its role span, and a Debug log through Effect's Logger.
 * The tracer here is an in-memory one made with `Tracer.make`, as `@effect/opentelemetry`'s is.
 */
import { it } from "@effect/vitest"
import { Effect, Fiber, HashMap, Layer, Logger, LogLevel, type Option, TestClock, Tracer } from "effect"
import { describe, expect } from "vitest"
import { Memory, Observe, Role, Session, TraceSink, Transport } from "../src/index.js"
import * as TwoPhaseCommit from "../examples/two-phase-commit.js"
import { backoff, flaky } from "../examples/robust-coordinator.js"
import * as RobustRequest from "../examples/robust-request.js"
import * as Compensating from "../examples/compensating-transaction.js"

interface Recorded {
  readonly name: string
  readonly spanId: string
  readonly parent: string | undefined
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> }>
  ended: boolean
}

const memoryTracer = () => {
  const spans: Array<Recorded> = []
  let next = 0
  const tracer = Tracer.make({
    span: (name, parent: Option.Option<Tracer.AnySpan>, context, links, startTime, kind) => {
      const spanId = `s${next++}`
      const recorded: Recorded = { name, spanId, parent: parent._tag === "Some" ? parent.value.spanId : undefined, attributes: new Map(), events: [], ended: false }
      spans.push(recorded)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId,
        traceId: "t",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes: recorded.attributes,
        links,
        sampled: true,
        kind,
        end: () => void (recorded.ended = true),
        attribute: (key, value) => void recorded.attributes.set(key, value),
        event: (name, _time, attributes) => void recorded.events.push({ name, attributes: attributes ?? {} }),
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

const P = TwoPhaseCommit.TwoPhaseCommit
const roles = { Coordinator: TwoPhaseCommit.coordinator(9), Participant: TwoPhaseCommit.participant("commit") }

const step = (e: { readonly name: string; readonly attributes: Record<string, unknown> }) => {
  const a = e.attributes
  return `${e.name} ${a["quadrille.role"]}${a["quadrille.peer"] === undefined ? "" : ` ${a["quadrille.peer"]}`} ${a["quadrille.label"]}${a["quadrille.branch"] === undefined ? "" : `=${a["quadrille.branch"]}`}`
}

describe("Observe", () => {
  it.effect("a TwoPhaseCommit run: a session span, a role span per role under it, a span event per step", () =>
    Effect.gen(function*() {
      const { spans, tracer } = memoryTracer()
      const results = yield* Observe.observed(Session.run(P, roles, { sessionId: "tx" })).pipe(Effect.withTracer(tracer))
      expect(results.Coordinator.outcome).toBe("committed")
      const session = spans.filter((s) => s.name === "quadrille.session")
      expect(session).toHaveLength(1)
      expect(Object.fromEntries(session[0].attributes)).toEqual({ "quadrille.protocol": "TwoPhaseCommit", "quadrille.session": "tx" })
      const roleSpans = spans.filter((s) => s.name === "quadrille.role")
      expect(roleSpans.map((s) => [s.parent, Object.fromEntries(s.attributes)])).toEqual([
        [session[0].spanId, { "quadrille.protocol": "TwoPhaseCommit", "quadrille.role": "Coordinator", "quadrille.session": "tx" }],
        [session[0].spanId, { "quadrille.protocol": "TwoPhaseCommit", "quadrille.role": "Participant", "quadrille.session": "tx" }]
      ])
      expect(spans.every((s) => s.ended)).toBe(true)
      const [coordinator, participant] = roleSpans
      expect(coordinator.events.map(step)).toEqual([
        "quadrille.send Coordinator Participant PrepareRequest",
        "quadrille.receive Coordinator Participant PrepareResponse",
        "quadrille.choice Coordinator outcome=commit",
        "quadrille.send Coordinator Participant CommitRequest",
        "quadrille.receive Coordinator Participant CommitAck"
      ])
      expect(participant.events.map(step)).toEqual([
        "quadrille.receive Participant Coordinator PrepareRequest",
        "quadrille.send Participant Coordinator PrepareResponse",
        "quadrille.receive Participant Coordinator CommitRequest",
        "quadrille.send Participant Coordinator CommitAck"
      ])
      for (const e of [...coordinator.events, ...participant.events]) {
        expect(e.attributes).toMatchObject({ "quadrille.protocol": "TwoPhaseCommit", "quadrille.session": "tx" })
        expect(typeof e.attributes["quadrille.site"]).toBe("string")
      }
      expect(coordinator.events[0].attributes).toMatchObject({ "quadrille.site": expect.any(String), "quadrille.seq": 0 })
    }))

  it.effect("Role.run: a role span of its own, with its events", () =>
    Effect.gen(function*() {
      const { spans, tracer } = memoryTracer()
      const transport = yield* Memory.make
      const options = { sessionId: "apart" }
      yield* Effect.all([
        Role.run(P, "Coordinator", roles.Coordinator, options),
        Role.run(P, "Participant", roles.Participant, options)
      ], { concurrency: "unbounded" }).pipe(Observe.observed, Effect.provideService(Transport, transport), Effect.withTracer(tracer))
      expect(spans.map((s) => [s.name, s.attributes.get("quadrille.role"), s.attributes.get("quadrille.session"), s.events.length])).toEqual([
        ["quadrille.role", "Coordinator", "apart", 5],
        ["quadrille.role", "Participant", "apart", 4]
      ])
    }))

  it.effect("a TraceSink in context still records everything, as a choice for a verdict", () =>
    Effect.gen(function*() {
      const { spans, tracer } = memoryTracer()
      const [, events] = yield* TraceSink.recording(Observe.observed(Session.run(P, roles, { sessionId: "tx" }))).pipe(Effect.withTracer(tracer))
      const [, plain] = yield* TraceSink.recording(Session.run(P, roles, { sessionId: "tx" }))
      expect(events).toEqual(plain)
      expect(spans.filter((s) => s.name === "quadrille.role").flatMap((s) => s.events)).toHaveLength(events.length)
    }))

  it.effect("without Observe, no span of Quadrille's", () =>
    Effect.gen(function*() {
      const { spans, tracer } = memoryTracer()
      yield* Session.run(P, roles).pipe(Effect.withTracer(tracer))
      expect(spans).toEqual([])
    }))

  it.effect("Session.retry: one attempt span per attempt, under the caller's span", () =>
    Effect.gen(function*() {
      const { spans, tracer } = memoryTracer()
      const { transport } = yield* flaky((s) => !s.endsWith("#3"))
      const fiber = yield* Effect.fork(
        Observe.observed(Effect.withSpan(Session.retry(P, roles, { schedule: backoff, sessionId: "tx" }), "caller")).pipe(
          Effect.provideService(Transport, transport),
          Effect.withTracer(tracer)
        )
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const caller = spans.find((s) => s.name === "caller")!
      const attempts = spans.filter((s) => s.name === "quadrille.attempt")
      expect(attempts.map((s) => [s.parent, s.attributes.get("quadrille.attempt")])).toEqual([[caller.spanId, 1], [caller.spanId, 2], [caller.spanId, 3]])
      expect(caller.events.map((e) => [e.name, e.attributes])).toEqual([
        ...[1, 2].map((k) => ["quadrille.retry", {
          "quadrille.attempt": k,
          "quadrille.protocol": "TwoPhaseCommit",
          "quadrille.session": `tx#${k}`,
          "quadrille.reason": "TransportError",
          "quadrille.role": "Coordinator",
          "quadrille.peer": "Participant"
        }])
      ])
      const sessions = spans.filter((s) => s.name === "quadrille.session")
      expect(sessions.map((s) => [s.parent, s.attributes.get("quadrille.session")])).toEqual(attempts.map((a, i) => [a.spanId, `tx#${i + 1}`]))
    }))

  it.effect("a timeout's verdict is a quadrille.timeout event, a saga's a quadrille.compensation event", () =>
    Effect.gen(function*() {
      const { spans, tracer } = memoryTracer()
      const fiber = yield* Effect.fork(Observe.observed(RobustRequest.main(Effect.never)).pipe(Effect.withTracer(tracer)))
      yield* TestClock.adjust("31 seconds")
      const r = yield* Fiber.join(fiber)
      expect(r.Client.timedOut).toBe(true)
      const events = spans.flatMap((s) => s.events).map(step)
      expect(events).toContain("quadrille.timeout Client response=timeout")
      spans.length = 0
      yield* Observe.observed(Compensating.main(Compensating.forwardSteps[1])).pipe(Effect.withTracer(tracer))
      const saga = spans.flatMap((s) => s.events).filter((e) => e.name === "quadrille.compensation").map(step)
      expect(saga).toContain("quadrille.compensation Coordinator transaction=compensated")
    }))

  it.effect("every step is a Debug log through Effect's Logger, annotated", () =>
    Effect.gen(function*() {
      const logs: Array<{ message: string; level: string; annotations: Record<string, unknown> }> = []
      const logger = Logger.make(({ annotations, logLevel, message }) => {
        logs.push({ message: String(message), level: logLevel.label, annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
      })
      yield* Observe.observed(Session.run(P, roles, { sessionId: "tx" })).pipe(
        Effect.provide(Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.Debug)))
      )
      const coordinator = logs.filter((l) => l.annotations["quadrille.role"] === "Coordinator")
      expect(coordinator.map((l) => l.message)).toEqual([
        "quadrille send: Coordinator -> Participant PrepareRequest",
        "quadrille receive: Coordinator <- Participant PrepareResponse",
        "quadrille choice: Coordinator outcome = commit",
        "quadrille send: Coordinator -> Participant CommitRequest",
        "quadrille receive: Coordinator <- Participant CommitAck"
      ])
      expect(logs.every((l) => l.level === "DEBUG")).toBe(true)
      expect(coordinator[0].annotations).toMatchObject({
        "quadrille.protocol": "TwoPhaseCommit",
        "quadrille.session": "tx",
        "quadrille.role": "Coordinator",
        "quadrille.peer": "Participant",
        "quadrille.label": "PrepareRequest",
        "quadrille.site": expect.any(String)
      })
    }))

  it.effect("with Debug logs on, a step is still one span event (Effect's tracerLogger does not add another)", () =>
    Effect.gen(function*() {
      const { spans, tracer } = memoryTracer()
      yield* Observe.observed(Session.run(P, roles)).pipe(Logger.withMinimumLogLevel(LogLevel.Debug), Effect.withTracer(tracer))
      const names = spans.filter((s) => s.name === "quadrille.role").flatMap((s) => s.events.map((e) => e.name))
      expect(names).toHaveLength(9)
      expect(names.every((n) => n.startsWith("quadrille."))).toBe(true)
      // Spans off: the logs alone, which Effect's tracerLogger turns into events of the span around.
      spans.length = 0
      yield* Observe.observed(Effect.withSpan(Session.run(P, roles), "caller"), { spans: false }).pipe(Logger.withMinimumLogLevel(LogLevel.Debug), Effect.withTracer(tracer))
      expect(spans.map((s) => s.name)).toEqual(["caller"])
      expect(spans[0].events.map((e) => e.name)).toContain("quadrille send: Coordinator -> Participant PrepareRequest")
    }))

  it.effect("at the default log level (Info) nothing is logged", () =>
    Effect.gen(function*() {
      const logs: Array<unknown> = []
      const logger = Logger.make(({ message }) => void logs.push(message))
      yield* Observe.observed(Session.run(P, roles)).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(logs).toEqual([])
    }))
})
