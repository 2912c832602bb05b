/**
 * What the transport layers that wrap another transport (chaos, reliable delivery) share: they
 * are built in a scope (their fibers run in it) with the `TraceSink` in context, if any (observed
 * when `Observe` is in context too).
 *
 * @internal
 */
import { Effect, Layer, type Scope } from "effect"
import type { TraceSinkService } from "../effects/TraceSink.js"
import { transportSink } from "../internal/observe.js"
import { Transport, type TransportService } from "../effects/Transport.js"

/** Makes the wrapping transport, given the one below, the options, the scope and the sink. */
export type Wrapping<O> = (
  transport: TransportService,
  options: O,
  scope: Scope.Scope,
  sink: TraceSinkService | undefined
) => TransportService

/** The scoped constructor of a wrapping transport. */
export const wrapper = <O>(make: Wrapping<O>) =>
(transport: TransportService, options: O): Effect.Effect<TransportService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const sink = yield* transportSink
    return make(transport, options, scope, sink)
  })

/** The layer of a wrapping transport: over the `Transport` it is given. */
export const wrapperLayer = <O>(
  wrap: (transport: TransportService, options: O) => Effect.Effect<TransportService, never, Scope.Scope>,
  options: O
): Layer.Layer<Transport, never, Transport> => Layer.scoped(Transport, Effect.flatMap(Transport, (inner) => wrap(inner, options)))
