/**
 * The in-memory `Transport`: one unbounded queue per (session, role); frames are passed
 * by reference and never serialised.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Queue } from "effect"
import { type Envelope, Transport, type TransportService } from "../effects/Transport.js"

/**
 * A fresh in-memory transport. `inject` puts a frame straight into a role's mailbox,
 * bypassing every sender: tests use it to forge frames.
 *
 * @category constructors
 */
export const make: Effect.Effect<TransportService & { readonly inject: (envelope: Envelope) => void }> = Effect.sync(
  () => {
    const mailboxes = new Map<string, Queue.Queue<Envelope>>()
    const mailbox = (session: string, role: string) => {
      const key = `${session}\u0000${role}`
      let q = mailboxes.get(key)
      if (q === undefined) {
        // Creating an unbounded queue is synchronous; runSync keeps `send` free of an extra step.
        q = Effect.runSync(Queue.unbounded<Envelope>())
        mailboxes.set(key, q)
      }
      return q
    }
    const inject = (envelope: Envelope) => {
      Queue.unsafeOffer(mailbox(envelope.session, envelope.to), envelope)
    }
    return {
      serialises: false,
      inject,
      send: (envelope) => Effect.sync(() => inject(envelope)),
      receive: (session, role) => Effect.suspend(() => Queue.take(mailbox(session, role)))
    }
  }
)

/**
 * The in-memory transport as a layer.
 *
 * @category layers
 */
export const layer: Layer.Layer<Transport> = Layer.effect(Transport, make)
