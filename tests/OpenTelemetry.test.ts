/**
 * Observe under real OpenTelemetry: `@effect/opentelemetry`'s `NodeSdk` layer over the SDK's
 * in-memory span and log exporters. What a collector would get from a TwoPhaseCommit run, a
 * timeout that runs out, a retried session, a compensated saga and a lossy network.
 */
import { NodeSdk } from "@effect/opentelemetry"
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger, LogLevel, TestClock } from "effect"
import { describe, expect } from "vitest"
import { Memory, Observe, Reliable, Role, Session, Transport } from "../src/index.js"
import { Chaos } from "../src/testing/index.js"
import * as TwoPhaseCommit from "../examples/two-phase-commit.js"
import { backoff, flaky } from "../examples/robust-coordinator.js"
import * as RobustRequest from "../examples/robust-request.js"
import * as Compensating from "../examples/compensating-transaction.js"
import * as Example from "../examples/opentelemetry.js"

const OK = 1 // SpanStatusCode.OK
const ERROR = 2 // SpanStatusCode.ERROR

/** Runs `f` with the OpenTelemetry SDK exporting into memory; `f` reads the spans (and logs) before the SDK shuts down. */
const withTelemetry = <A, E, R>(f: (spans: InMemorySpanExporter, logs: InMemoryLogRecordExporter) => Effect.Effect<A, E, R>) => {
  const spans = new InMemorySpanExporter()
  const logs = new InMemoryLogRecordExporter()
  const Telemetry = NodeSdk.layer(() => ({
    resource: { serviceName: "quadrille-test" },
    spanProcessor: new SimpleSpanProcessor(spans),
    logRecordProcessor: new SimpleLogRecordProcessor({ exporter: logs })
  }))
  return Effect.provide(f(spans, logs), Telemetry)
}

/** A finished span, as the collector sees it: name, parent's name, attributes, events. */
const view = (all: ReadonlyArray<ReadableSpan>) => {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]))
  return all.map((s) => ({
    name: s.name,
    parent: s.parentSpanContext === undefined ? undefined : byId.get(s.parentSpanContext.spanId)?.name ?? "(outside)",
    attributes: { ...s.attributes },
    events: s.events.map((e) => [e.name, { ...e.attributes }] as const),
    status: s.status.code,
    span: s
  }))
}

const step = (name: string, role: string, rest: Record<string, unknown>, session = "tx-9") => [name, {
  "quadrille.protocol": "TwoPhaseCommit",
  "quadrille.session": session,
  "quadrille.role": role,
  ...rest
}] as const

/** The events of a committed (or aborted) TwoPhaseCommit, by role, exactly. */
const expectedSteps = (outcome: "commit" | "abort", session = "tx-9") => {
  const [request, ack] = outcome === "commit" ? ["CommitRequest", "CommitAck"] : ["AbortRequest", "AbortAck"]
  const c = (name: string, rest: Record<string, unknown>) => step(name, "Coordinator", rest, session)
  const p = (name: string, rest: Record<string, unknown>) => step(name, "Participant", rest, session)
  const peerP = { "quadrille.peer": "Participant" }
  const peerC = { "quadrille.peer": "Coordinator" }
  return {
    Coordinator: [
      c("quadrille.send", { ...peerP, "quadrille.label": "PrepareRequest", "quadrille.site": "0", "quadrille.seq": 0 }),
      c("quadrille.receive", { ...peerP, "quadrille.label": "PrepareResponse", "quadrille.site": "1", "quadrille.seq": 0 }),
      c("quadrille.choice", { "quadrille.label": "outcome", "quadrille.branch": outcome, "quadrille.site": "2" }),
      c("quadrille.send", { ...peerP, "quadrille.label": request, "quadrille.site": `2.${outcome}.0`, "quadrille.seq": 1 }),
      c("quadrille.receive", { ...peerP, "quadrille.label": ack, "quadrille.site": `2.${outcome}.1`, "quadrille.seq": 1 })
    ],
    Participant: [
      p("quadrille.receive", { ...peerC, "quadrille.label": "PrepareRequest", "quadrille.site": "0", "quadrille.seq": 0 }),
      p("quadrille.send", { ...peerC, "quadrille.label": "PrepareResponse", "quadrille.site": "1", "quadrille.seq": 0 }),
      p("quadrille.receive", { ...peerC, "quadrille.label": request, "quadrille.site": `2.${outcome}.0`, "quadrille.seq": 1 }),
      p("quadrille.send", { ...peerC, "quadrille.label": ack, "quadrille.site": `2.${outcome}.1`, "quadrille.seq": 1 })
    ]
  }
}

const roles = (vote: "commit" | "abort") => ({ Coordinator: TwoPhaseCommit.coordinator(9), Participant: TwoPhaseCommit.participant(vote) })

describe("OpenTelemetry", () => {
  for (const vote of ["commit", "abort"] as const) {
    it.effect(`a TwoPhaseCommit run (${vote}): one trace, a session span, a role span per role under it, a span event per step`, () =>
      withTelemetry((exporter) =>
        Effect.gen(function*() {
          const results = yield* Observe.observed(Session.run(TwoPhaseCommit.TwoPhaseCommit, roles(vote), { sessionId: "tx-9" }))
          expect(results.Coordinator.outcome).toBe(vote === "commit" ? "committed" : "aborted")
          const spans = view(exporter.getFinishedSpans())
          // Children end first.
          expect(spans.map((s) => [s.name, s.parent, s.attributes["quadrille.role"]])).toEqual([
            ["quadrille.role", "quadrille.session", "Participant"],
            ["quadrille.role", "quadrille.session", "Coordinator"],
            ["quadrille.session", undefined, undefined]
          ])
          expect(new Set(spans.map((s) => s.span.spanContext().traceId)).size).toBe(1)
          expect(spans.every((s) => s.status === OK)).toBe(true)
          const [participant, coordinator, session] = spans
          expect(session.attributes).toEqual({ "quadrille.protocol": "TwoPhaseCommit", "quadrille.session": "tx-9" })
          expect(session.events).toEqual([])
          expect(coordinator.attributes).toEqual({ "quadrille.protocol": "TwoPhaseCommit", "quadrille.role": "Coordinator", "quadrille.session": "tx-9" })
          expect(participant.attributes).toEqual({ "quadrille.protocol": "TwoPhaseCommit", "quadrille.role": "Participant", "quadrille.session": "tx-9" })
          const expected = expectedSteps(vote)
          expect(coordinator.events).toEqual(expected.Coordinator)
          expect(participant.events).toEqual(expected.Participant)
          expect(session.span.resource.attributes["service.name"]).toBe("quadrille-test")
        })
      ))
  }

  it.effect("the Debug log of every step is an OpenTelemetry log record, in its role's span, with the step's attributes", () =>
    withTelemetry((spanExporter, logExporter) =>
      Effect.gen(function*() {
        yield* Observe.observed(Session.run(TwoPhaseCommit.TwoPhaseCommit, roles("commit"), { sessionId: "tx-9" })).pipe(
          Logger.withMinimumLogLevel(LogLevel.Debug)
        )
        const spans = view(spanExporter.getFinishedSpans())
        const spanOf = (role: string) => spans.find((s) => s.attributes["quadrille.role"] === role)!.span.spanContext().spanId
        const records = logExporter.getFinishedLogRecords()
        expect(records.map((r) => [r.body, r.severityText])).toEqual([
          ["quadrille send: Coordinator -> Participant PrepareRequest", "DEBUG"],
          ["quadrille receive: Participant <- Coordinator PrepareRequest", "DEBUG"],
          ["quadrille send: Participant -> Coordinator PrepareResponse", "DEBUG"],
          ["quadrille receive: Coordinator <- Participant PrepareResponse", "DEBUG"],
          ["quadrille choice: Coordinator outcome = commit", "DEBUG"],
          ["quadrille send: Coordinator -> Participant CommitRequest", "DEBUG"],
          ["quadrille receive: Participant <- Coordinator CommitRequest", "DEBUG"],
          ["quadrille send: Participant -> Coordinator CommitAck", "DEBUG"],
          ["quadrille receive: Coordinator <- Participant CommitAck", "DEBUG"]
        ])
        const expected = expectedSteps("commit")
        const byRole = { Coordinator: [...expected.Coordinator], Participant: [...expected.Participant] }
        for (const r of records) {
          const role = r.attributes["quadrille.role"] as "Coordinator" | "Participant"
          const [, attributes] = byRole[role].shift()!
          expect(r.attributes).toMatchObject(attributes)
          expect(r.attributes.spanId).toBe(spanOf(role))
        }
        // A step is one span event, not also a second one made of its log by Effect's tracerLogger.
        expect(spans.flatMap((s) => s.events)).toHaveLength(9)
      })
    ))

  it.effect("a timeout that runs out: the Client's verdict and the Server's told verdict are quadrille.timeout events", () =>
    withTelemetry((exporter) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Observe.observed(
          Session.run(RobustRequest.RobustRequest, { Client: RobustRequest.client("hello"), Server: RobustRequest.server(Effect.never) }, { sessionId: "rq" })
        ))
        yield* TestClock.adjust("29 seconds")
        expect(exporter.getFinishedSpans()).toEqual([])
        yield* TestClock.adjust("1 second")
        const results = yield* Fiber.join(fiber)
        expect(results.Client.timedOut).toBe(true)
        const spans = view(exporter.getFinishedSpans())
        const base = { "quadrille.protocol": "RobustRequest", "quadrille.session": "rq" }
        const client = spans.find((s) => s.attributes["quadrille.role"] === "Client")!
        const server = spans.find((s) => s.attributes["quadrille.role"] === "Server")!
        expect(client.events).toEqual([
          ["quadrille.send", { ...base, "quadrille.role": "Client", "quadrille.peer": "Server", "quadrille.label": "Request", "quadrille.site": "0", "quadrille.seq": 0 }],
          ["quadrille.timeout", { ...base, "quadrille.role": "Client", "quadrille.label": "response", "quadrille.branch": "timeout", "quadrille.site": "1" }]
        ])
        expect(server.events).toEqual([
          ["quadrille.receive", { ...base, "quadrille.role": "Server", "quadrille.peer": "Client", "quadrille.label": "Request", "quadrille.site": "0", "quadrille.seq": 0 }],
          ["quadrille.timeout", { ...base, "quadrille.role": "Server", "quadrille.peer": "Client", "quadrille.label": "response", "quadrille.branch": "timeout", "quadrille.site": "1", "quadrille.seq": 1 }]
        ])
        // The verdict is given when the clock runs out: 30 s after the start, by the TestClock.
        const [, at] = [client.span.startTime, client.span.events[1].time]
        expect(at[0] - client.span.startTime[0]).toBe(30)
        expect(spans.every((s) => s.status === OK)).toBe(true)
      })
    ))

  it.effect("in time, the verdict is 'intime' and the Response comes before it", () =>
    withTelemetry((exporter) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Observe.observed(
          Session.run(RobustRequest.RobustRequest, { Client: RobustRequest.client("hello"), Server: RobustRequest.server(Effect.sleep("10 seconds")) }, { sessionId: "rq" })
        ))
        yield* TestClock.adjust("10 seconds")
        const results = yield* Fiber.join(fiber)
        expect(results.Client.result).toBe("HELLO")
        const client = view(exporter.getFinishedSpans()).find((s) => s.attributes["quadrille.role"] === "Client")!
        expect(client.events.map(([name, a]) => `${name} ${a["quadrille.label"]} ${a["quadrille.branch"] ?? ""}`.trim())).toEqual([
          "quadrille.send Request",
          "quadrille.receive Response",
          "quadrille.timeout response intime"
        ])
      })
    ))

  it.effect("Session.retry: an attempt span per attempt under the caller's span, each with its session; a quadrille.retry event per retried failure", () =>
    withTelemetry((exporter) =>
      Effect.gen(function*() {
        const { transport } = yield* flaky((s) => !s.endsWith("#3"))
        const fiber = yield* Effect.fork(
          Observe.observed(Session.retry(TwoPhaseCommit.TwoPhaseCommit, roles("commit"), { schedule: backoff, sessionId: "tx-9" })).pipe(
            Effect.withSpan("checkout"),
            Effect.provideService(Transport, transport)
          )
        )
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        const spans = view(exporter.getFinishedSpans())
        const checkout = spans.find((s) => s.name === "checkout")!
        const attempts = spans.filter((s) => s.name === "quadrille.attempt")
        expect(attempts.map((s) => [s.parent, s.attributes, s.status])).toEqual([1, 2, 3].map((k) => [
          "checkout",
          { "quadrille.attempt": k, "quadrille.protocol": "TwoPhaseCommit", "quadrille.session": `tx-9#${k}` },
          k < 3 ? ERROR : OK
        ]))
        // Each attempt's session span is under its attempt span.
        const byId = new Map(spans.map((s) => [s.span.spanContext().spanId, s]))
        const sessions = spans.filter((s) => s.name === "quadrille.session")
        expect(sessions.map((s) => [byId.get(s.span.parentSpanContext!.spanId)!.attributes["quadrille.attempt"], s.attributes["quadrille.session"]])).toEqual([
          [1, "tx-9#1"],
          [2, "tx-9#2"],
          [3, "tx-9#3"]
        ])
        expect(checkout.events).toEqual([1, 2].map((k) => [
          "quadrille.retry",
          {
            "quadrille.attempt": k,
            "quadrille.protocol": "TwoPhaseCommit",
            "quadrille.session": `tx-9#${k}`,
            "quadrille.reason": "TransportError",
            "quadrille.role": "Coordinator",
            "quadrille.peer": "Participant"
          }
        ]))
        // The failed attempts' Coordinator sent its PrepareRequest (the send that failed) and no more; the third ran to the end.
        const coordinators = spans.filter((s) => s.attributes["quadrille.role"] === "Coordinator")
        expect(coordinators.map((s) => s.events.map(([name]) => name))).toEqual([
          ["quadrille.send", "exception"],
          ["quadrille.send", "exception"],
          expectedSteps("commit", "tx-9#3").Coordinator.map(([name]) => name)
        ])
        expect(coordinators[2].events).toEqual(expectedSteps("commit", "tx-9#3").Coordinator)
        expect(coordinators[0].span.events[1].attributes).toMatchObject({ "exception.type": "TransportError", "exception.message": "link down in tx-9#1" })
        // The delays of the schedule, by the TestClock: 100 ms, then 200 ms.
        const ms = (s: ReadableSpan) => s.startTime[0] * 1000 + s.startTime[1] / 1e6
        expect(attempts.map((a) => ms(a.span) - ms(attempts[0].span))).toEqual([0, 100, 300])
      })
    ))

  it.effect("Role.retry: each role's attempts are spans of its own, named by role; the Participant retries on the Coordinator's failure notice", () =>
    withTelemetry((exporter) =>
      Effect.gen(function*() {
        const { transport } = yield* flaky((s, e) => s === "apart#1" && e.label !== "~failed")
        const options = { schedule: backoff, sessionId: "apart" }
        const both = roles("commit")
        const fiber = yield* Effect.fork(Observe.observed(Effect.all([
          Role.retry(TwoPhaseCommit.TwoPhaseCommit, "Coordinator", both.Coordinator, options).pipe(Effect.withSpan("coordinator")),
          Role.retry(TwoPhaseCommit.TwoPhaseCommit, "Participant", both.Participant, options).pipe(Effect.withSpan("participant"))
        ], { concurrency: "unbounded" })).pipe(Effect.provideService(Transport, transport)))
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        const spans = view(exporter.getFinishedSpans())
        const attempts = spans.filter((s) => s.name === "quadrille.attempt")
        expect(attempts.map((s) => [s.parent, s.attributes["quadrille.role"], s.attributes["quadrille.session"], s.status]).sort()).toEqual([
          ["coordinator", "Coordinator", "apart#1", ERROR],
          ["coordinator", "Coordinator", "apart#2", OK],
          ["participant", "Participant", "apart#1", ERROR],
          ["participant", "Participant", "apart#2", OK]
        ])
        const retries = spans.flatMap((s) => s.events.filter(([name]) => name === "quadrille.retry").map(([, a]) => [s.name, a] as const))
          .sort((a, b) => a[0].localeCompare(b[0]))
        expect(retries).toEqual([
          ["coordinator", { "quadrille.attempt": 1, "quadrille.protocol": "TwoPhaseCommit", "quadrille.session": "apart#1", "quadrille.role": "Coordinator", "quadrille.reason": "TransportError", "quadrille.peer": "Participant" }],
          ["participant", { "quadrille.attempt": 1, "quadrille.protocol": "TwoPhaseCommit", "quadrille.session": "apart#1", "quadrille.role": "Participant", "quadrille.reason": "PeerFailed", "quadrille.peer": "Coordinator", "quadrille.site": "0" }]
        ])
        // In attempt 1 the Participant learned of the Coordinator's failure: a quadrille.peer-failed event.
        const participant1 = spans.find((s) => s.name === "quadrille.role" && s.attributes["quadrille.role"] === "Participant" && s.attributes["quadrille.session"] === "apart#1")!
        expect(participant1.events.map(([name, a]) => [name, a["quadrille.peer"] ?? a["exception.type"]])).toEqual([
          ["quadrille.peer-failed", "Coordinator"],
          ["exception", "PeerFailed"]
        ])
      })
    ))

  it.effect("a saga that compensates: the owner's verdict, the reports and the told verdicts are quadrille.compensation events", () =>
    withTelemetry((exporter) =>
      Effect.gen(function*() {
        const failAt = "ServiceB.recv.AllocateResource"
        const results = yield* Observe.observed(Session.run(Compensating.CompensatingTransaction, {
          Coordinator: Compensating.coordinator("r-42", failAt),
          ServiceA: Compensating.serviceA(failAt),
          ServiceB: Compensating.serviceB(failAt)
        }, { sessionId: "saga-1" }))
        expect(results.ServiceA.log).toEqual(["reserved r-42", "released reservation r-42"])
        const spans = view(exporter.getFinishedSpans())
        const base = { "quadrille.protocol": "CompensatingTransaction", "quadrille.session": "saga-1", "quadrille.label": "transaction", "quadrille.site": "0" }
        const compensation = (role: string) =>
          spans.find((s) => s.attributes["quadrille.role"] === role)!.events.filter(([name]) => name === "quadrille.compensation").map(([, a]) => a)
        expect(compensation("Coordinator")).toEqual([{ ...base, "quadrille.role": "Coordinator", "quadrille.branch": "compensated" }])
        expect(compensation("ServiceB")).toEqual([
          { ...base, "quadrille.role": "ServiceB", "quadrille.branch": "aborted" },
          { ...base, "quadrille.role": "ServiceB", "quadrille.peer": "Coordinator", "quadrille.branch": "compensated", "quadrille.seq": 0 }
        ])
        expect(compensation("ServiceA")).toEqual([
          { ...base, "quadrille.role": "ServiceA", "quadrille.peer": "Coordinator", "quadrille.branch": "compensated", "quadrille.seq": 0 }
        ])
        // After the verdict, the Coordinator's sends are the compensation's, on its lane.
        const coordinator = spans.find((s) => s.attributes["quadrille.role"] === "Coordinator")!
        const after = coordinator.events.slice(coordinator.events.findIndex(([name]) => name === "quadrille.compensation") + 1)
        expect(after.map(([name, a]) => [name, a["quadrille.peer"], a["quadrille.label"], a["quadrille.site"], a["quadrille.lane"]])).toEqual([
          ["quadrille.send", "ServiceB", "ReleaseAllocation", "0.compensate.0", "0#0/fallback"],
          ["quadrille.send", "ServiceA", "ReleaseReservation", "0.compensate.1", "0#0/fallback"]
        ])
      })
    ))

  it.effect("a lossy network under the reliable layer: chaos drops, duplicates and retransmissions are span events of the sending role", () =>
    withTelemetry((exporter) =>
      Effect.gen(function*() {
        const network = Layer.provide(Reliable.layer(), Layer.provide(Chaos.layer({ seed: 3, drop: 0.5, duplicate: 0.3 }), Memory.layer))
        const fiber = yield* Effect.fork(Observe.observed(
          Session.run(TwoPhaseCommit.TwoPhaseCommit, roles("commit"), { sessionId: "tx-9" }).pipe(Effect.provide(network))
        ))
        for (let i = 0; i < 200 && fiber.unsafePoll() === null; i++) yield* TestClock.adjust("10 millis")
        const results = yield* Fiber.join(fiber)
        expect(results.Coordinator.outcome).toBe("committed")
        const spans = view(exporter.getFinishedSpans())
        const events = spans.flatMap((s) => s.events.map(([name, a]) => ({ span: s.attributes["quadrille.role"], name, a })))
        const drops = events.filter((e) => e.name === "quadrille.drop")
        const retransmits = events.filter((e) => e.name === "quadrille.retransmit")
        const duplicates = events.filter((e) => e.name === "quadrille.duplicate")
        expect(drops.length).toBeGreaterThan(0)
        expect(retransmits.length).toBeGreaterThan(0)
        expect(duplicates.length).toBeGreaterThan(0)
        for (const e of [...drops, ...retransmits, ...duplicates]) {
          expect(e.a).toMatchObject({ "quadrille.session": "tx-9", "quadrille.role": expect.any(String), "quadrille.peer": expect.any(String), "quadrille.label": expect.any(String), "quadrille.site": expect.any(String) })
        }
        // A chaos drop happens as the frame is sent: a role's own frame (not the reliable layer's
        // acknowledgements, "~ack ...", sent from its intake) is lost in the sender's span.
        const chaos = drops.filter((e) => e.a["quadrille.reason"] === "chaos" && !String(e.a["quadrille.label"]).startsWith("~"))
        expect(chaos.length).toBeGreaterThan(0)
        expect(chaos.map((e) => e.span)).toEqual(chaos.map((e) => e.a["quadrille.role"]))
        expect(retransmits.map((e) => e.span)).toEqual(retransmits.map((e) => e.a["quadrille.role"]))
        // The steps are all there, in order, whatever the network did.
        const coordinator = spans.find((s) => s.attributes["quadrille.role"] === "Coordinator")!
        expect(coordinator.events.filter(([name]) => !["quadrille.drop", "quadrille.duplicate", "quadrille.retransmit"].includes(name))).toEqual(expectedSteps("commit").Coordinator)
      })
    ))

  it.effect("a transport built with Observe in context: a rejected frame and a frame for no running role are span events and Debug log records where they happen", () =>
    withTelemetry((spanExporter, logExporter) =>
      Effect.gen(function*() {
        const observedMemory = yield* Observe.observed(Memory.make)
        const plainMemory = yield* Memory.make
        const frame = { session: "s-1", from: "Coordinator", to: "Participant", label: "PrepareRequest", site: "0", loops: {}, seq: 0, payload: {} }
        yield* Effect.sync(() => {
          expect(observedMemory.inject({ ...frame, label: 42 })).toBe(false)
          expect(observedMemory.inject(frame)).toBe(false)
          expect(plainMemory.inject({ ...frame, label: 42 })).toBe(false)
        }).pipe(Effect.withSpan("intake"), Logger.withMinimumLogLevel(LogLevel.Debug))
        const spans = view(spanExporter.getFinishedSpans())
        expect(spans.map((s) => s.name)).toEqual(["intake"])
        expect(spans[0].events.map(([name, a]) => [name, { ...a, "quadrille.reason": String(a["quadrille.reason"]).slice(0, 16) }])).toEqual([
          ["quadrille.reject", { "quadrille.session": "s-1", "quadrille.role": "Coordinator", "quadrille.peer": "Participant", "quadrille.label": "?", "quadrille.site": "0", "quadrille.reason": "not an envelope:" }],
          ["quadrille.drop", { "quadrille.session": "s-1", "quadrille.role": "Coordinator", "quadrille.peer": "Participant", "quadrille.label": "PrepareRequest", "quadrille.site": "0", "quadrille.seq": 0, "quadrille.reason": "closed" }]
        ])
        const records = logExporter.getFinishedLogRecords()
        expect(records.map((r) => String(r.body).replace(/\(.*/, "(...)"))).toEqual([
          "quadrille reject: Coordinator -> Participant ? (...)",
          "quadrille drop: Coordinator -> Participant PrepareRequest (...)"
        ])
        expect(records.every((r) => r.attributes.spanId === spans[0].span.spanContext().spanId)).toBe(true)
      })
    ))

  it.live("examples/opentelemetry.ts: the retried TwoPhaseCommit's spans, as a tree", () =>
    Effect.gen(function*() {
      const { outcome, tree } = yield* Example.main()
      expect(outcome).toBe("committed")
      const spansOnly = tree.filter((l) => !l.trim().startsWith("·")).map((l) => l.replace(/ ERROR .*$/, " ERROR"))
      expect(spansOnly).toEqual([
        "checkout",
        "  quadrille.attempt attempt=1 session=tx-7#1 ERROR",
        "    quadrille.session session=tx-7#1 ERROR",
        "      quadrille.role role=Coordinator session=tx-7#1 ERROR",
        "      quadrille.role role=Participant session=tx-7#1 span.label=⚠︎ Interrupted status.interrupted=true",
        "  quadrille.attempt attempt=2 session=tx-7#2",
        "    quadrille.session session=tx-7#2",
        "      quadrille.role role=Coordinator session=tx-7#2",
        "      quadrille.role role=Participant session=tx-7#2"
      ])
      expect(tree[1]).toBe("  · quadrille.retry attempt=1 session=tx-7#1 reason=TransportError role=Coordinator peer=Participant")
      expect(tree.filter((l) => l.includes("· quadrille.")).length).toBe(1 + 1 + 9)
    }))

  it.effect("without Observe, the SDK gets no span of Quadrille's", () =>
    withTelemetry((exporter) =>
      Effect.gen(function*() {
        yield* Session.run(TwoPhaseCommit.TwoPhaseCommit, roles("commit")).pipe(Effect.withSpan("checkout"), Logger.withMinimumLogLevel(LogLevel.Debug))
        const spans = view(exporter.getFinishedSpans())
        expect(spans.map((s) => [s.name, s.events])).toEqual([["checkout", []]])
      })
    ))
})
