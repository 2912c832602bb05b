/**
 * The in-memory `Transport`: one unbounded FIFO mailbox per (session, role, lane); frames are
 * passed by reference and never serialised. A role's mailboxes are dropped when it ends.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { type Envelope, registerSynchronousSend, Transport, type TransportService } from "../effects/Transport.js"
import { Mailboxes } from "./mailbox.js"

/**
 * A fresh in-memory transport. `inject` puts a frame straight into a role's mailbox,
 * bypassing every sender: tests use it to forge frames.
 *
 * @category constructors
 */
export const make: Effect.Effect<TransportService & { readonly inject: (envelope: Envelope) => void }> = Effect.sync(
  () => {
    const boxes = new Mailboxes()
    const inject = (envelope: Envelope): void => boxes.of(envelope).offer(envelope)
    const transport = {
      serialises: false,
      inject,
      send: (envelope: Envelope) => Effect.sync(() => inject(envelope)),
      // The mailbox's own `take`, looked up once per receiver rather than once per frame.
      receive: (session: string, role: string, mailbox?: string) => boxes.get(session, role, mailbox).take,
      close: (session: string, role: string) => Effect.sync(() => boxes.release(session, role))
    }
    // `send` is exactly `Effect.sync(() => inject(envelope))`: channels may call `inject` directly.
    registerSynchronousSend(transport, inject)
    return transport
  }
)

/**
 * A fresh in-memory transport that also keeps every frame sent through it, in the order sent
 * (for demos and tests; a `TraceSink` records richer events).
 *
 * @category constructors
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
 * @category constructors
 */
export const recorded = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<{ readonly result: A; readonly frames: ReadonlyArray<Envelope> }, E, Exclude<R, Transport>> =>
  Effect.flatMap(recording, ({ frames, transport }) =>
    Effect.map(Effect.provideService(effect, Transport, transport), (result) => ({ result, frames })))

/**
 * The in-memory transport as a layer.
 *
 * @category layers
 */
export const layer: Layer.Layer<Transport> = Layer.effect(Transport, make)
