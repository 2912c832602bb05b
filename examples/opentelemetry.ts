/**
 * OpenTelemetry: the seed guide's robust coordinator (TwoPhaseCommit with `Session.retry`) over
 * a network that loses every frame of the first attempt, with `Observe` on and
 * `@effect/opentelemetry`'s `NodeSdk` as the tracer. The spans go to the SDK's in-memory
 * exporter and are printed as a tree at the end, so no collector is needed; in production the
 * span processor is a `BatchSpanProcessor` over an OTLP exporter, and nothing else changes.
 *
 *   checkout                                  (the caller's span)
 *   ├─ · quadrille.retry                      (attempt 1 failed: TransportError)
 *   ├─ quadrille.attempt 1 ─ quadrille.session tx-7#1 ─ quadrille.role Coordinator, Participant
 *   └─ quadrille.attempt 2 ─ quadrille.session tx-7#2 ─ quadrille.role Coordinator, Participant
 *                                              └─ · quadrille.send, quadrille.receive, ...
 *
 *   npx tsx examples/opentelemetry.ts                  the spans, as a tree
 *   OTEL_CONSOLE=1 npx tsx examples/opentelemetry.ts   and OpenTelemetry's own console exporter
 *   DEBUG=1 npx tsx examples/opentelemetry.ts          and the Debug logs, as OpenTelemetry log records
 */
import * as assert from "node:assert/strict"
import { NodeSdk } from "@effect/opentelemetry"
import { ConsoleLogRecordExporter, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs"
import { ConsoleSpanExporter, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Logger, LogLevel, Schedule } from "effect"
import { Observe, Session, Transport } from "../src/index.js"
import { flaky } from "./robust-coordinator.js"
import { coordinator, participant, TwoPhaseCommit } from "./two-phase-commit.js"

/** The OpenTelemetry SDK, exporting spans to `exporter` (and Debug logs to the console, with `logs`), and `Observe` on. */
export const Telemetry = (exporter: InMemorySpanExporter, options: { readonly console?: boolean; readonly logs?: boolean } = {}) => {
  const spanProcessor: Array<SpanProcessor> = [new SimpleSpanProcessor(exporter)]
  if (options.console) spanProcessor.push(new SimpleSpanProcessor(new ConsoleSpanExporter()))
  const sdk = NodeSdk.layer(() => ({
    resource: { serviceName: "checkout" },
    spanProcessor,
    logRecordProcessor: options.logs ? new SimpleLogRecordProcessor({ exporter: new ConsoleLogRecordExporter() }) : undefined
  }))
  const observed = Layer.merge(sdk, Observe.layer())
  return options.logs ? Layer.merge(observed, Logger.minimumLogLevel(LogLevel.Debug)) : observed
}

const show = (attributes: Record<string, unknown> | undefined): string =>
  Object.entries(attributes ?? {})
    .filter(([key]) => key !== "quadrille.protocol" && !key.startsWith("exception.stacktrace"))
    .map(([key, value]) => `${key.replace(/^quadrille\./, "")}=${String(value)}`)
    .join(" ")

/** The spans as a tree (parents before children, in the order they started), the events under their span. */
export const render = (spans: ReadonlyArray<ReadableSpan>): Array<string> => {
  const ids = new Set(spans.map((s) => s.spanContext().spanId))
  const children = new Map<string | undefined, Array<ReadableSpan>>()
  const micros = (s: ReadableSpan) => s.startTime[0] * 1e6 + s.startTime[1] / 1e3
  // By start time; spans that start in the same microsecond, by role, for a print that does not change.
  const role = (s: ReadableSpan) => String(s.attributes["quadrille.role"] ?? "")
  for (const s of [...spans].sort((a, b) => micros(a) - micros(b) || role(a).localeCompare(role(b)))) {
    const parent = s.parentSpanContext?.spanId
    const key = parent !== undefined && ids.has(parent) ? parent : undefined
    children.set(key, [...(children.get(key) ?? []), s])
  }
  const lines: Array<string> = []
  const walk = (s: ReadableSpan, depth: number) => {
    const pad = "  ".repeat(depth)
    const status = s.status.code === 2 ? ` ERROR ${s.status.message ?? ""}` : ""
    lines.push(`${pad}${s.name} ${show(s.attributes)}${status}`.trimEnd())
    for (const e of s.events) lines.push(`${pad}  · ${e.name} ${show(e.attributes)}`.trimEnd())
    for (const c of children.get(s.spanContext().spanId) ?? []) walk(c, depth + 1)
  }
  for (const root of children.get(undefined) ?? []) walk(root, 0)
  return lines
}

/** Commits transaction 7 at the second attempt; returns the outcome and the spans as a tree. */
export const main = (options: { readonly console?: boolean; readonly logs?: boolean } = {}) =>
  Effect.gen(function*() {
    const exporter = new InMemorySpanExporter()
    const { transport } = yield* flaky((session) => session.endsWith("#1"))
    const retried = Session.retry(TwoPhaseCommit, { Coordinator: coordinator(7), Participant: participant("commit") }, {
      schedule: Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(2))),
      sessionId: "tx-7"
    })
    return yield* retried.pipe(
      Effect.withSpan("checkout"),
      Effect.provideService(Transport, transport),
      // Spans are exported as each ends; read them before the SDK shuts down with its layer.
      Effect.map((r) => ({ outcome: r.Coordinator.outcome, tree: render(exporter.getFinishedSpans()) })),
      Effect.provide(Telemetry(exporter, options))
    )
  })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main({ console: process.env.OTEL_CONSOLE !== undefined, logs: process.env.DEBUG !== undefined })).then(({ outcome, tree }) => {
    console.log(tree.join("\n"))
    assert.equal(outcome, "committed")
    assert.equal(tree.filter((l) => l.trim().startsWith("quadrille.attempt")).length, 2)
    console.log(`outcome: ${outcome}`)
  })
}
