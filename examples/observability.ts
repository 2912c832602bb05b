/**
 * Observability: a TwoPhaseCommit session with `Observe` on, its spans printed by a console
 * tracer made with Effect's `Tracer.make` (what `@effect/opentelemetry` gives in production:
 * `examples/opentelemetry.ts` does the same with the OpenTelemetry SDK).
 * Each span is printed when it ends, indented under its parent, with its attributes and events.
 *
 *   npx tsx examples/observability.ts          spans and span events
 *   DEBUG=1 npx tsx examples/observability.ts  and the Debug logs of every step
 */
import { Effect, Logger, LogLevel, Option, Tracer } from "effect"
import { Observe, Session } from "../src/index.js"
import { coordinator, participant, TwoPhaseCommit } from "./two-phase-commit.js"

/** A tracer that prints every span when it ends (children end first, so they come first). */
export const consoleTracer = (print: (line: string) => void = console.log): Tracer.Tracer => {
  const depth = new Map<string, number>()
  let next = 0
  return Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const spanId = `span-${next++}`
      const level = Option.isSome(parent) ? (depth.get(parent.value.spanId) ?? 0) + 1 : 0
      depth.set(spanId, level)
      const attributes = new Map<string, unknown>()
      const events: Array<readonly [string, bigint, Record<string, unknown>]> = []
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId,
        traceId: Option.isSome(parent) ? parent.value.traceId : `trace-${spanId}`,
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        attribute: (key, value) => void attributes.set(key, value),
        event: (name, time, attrs) => void events.push([name, time, attrs ?? {}]),
        addLinks: () => {},
        end: (endTime, exit) => {
          const pad = "  ".repeat(level)
          const micros = Number(endTime - startTime) / 1000
          print(`${pad}${name} ${JSON.stringify(Object.fromEntries(attributes))} ${exit._tag} ${micros.toFixed(0)} µs`)
          for (const [event, time, attrs] of events) {
            const { "quadrille.protocol": _p, "quadrille.session": _s, ...rest } = attrs
            print(`${pad}  · +${(Number(time - startTime) / 1000).toFixed(0)} µs ${event} ${JSON.stringify(rest)}`)
          }
        }
      }
      return span
    },
    context: (f) => f()
  })
}

export const main = Observe.observed(
  Session.run(TwoPhaseCommit, { Coordinator: coordinator(12345), Participant: participant("commit") }, { sessionId: "tx-1" })
).pipe(Effect.withSpan("checkout"), Effect.withTracer(consoleTracer()))

if (import.meta.url === `file://${process.argv[1]}`) {
  const program = process.env.DEBUG === undefined ? main : main.pipe(Logger.withMinimumLogLevel(LogLevel.Debug))
  Effect.runPromise(program).then((r) => console.log(JSON.stringify(r)))
}
