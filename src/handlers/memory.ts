/**
 * The in-memory `Transport`: one unbounded FIFO mailbox per (session, role, lane); frames are
 * passed by reference and never serialised. A role's mailboxes are dropped when it ends, and
 * a frame that comes for it later is dropped and counted; once no role of a session runs, the
 * transport holds nothing of it.
 *
 * @since 0.1.0
 */
import { Either, Effect, Layer, Option } from "effect"
import { TraceSink, type TraceSinkService } from "../effects/TraceSink.js"
import { decodeEnvelope, type Envelope, registerInbox, registerSynchronousSend, registerTap, Transport, type TransportService } from "../effects/Transport.js"
import { quote } from "../internal/bounded.js"
import { type MailboxStats, Mailboxes, openRole } from "./mailbox.js"

/**
 * What the in-memory transport holds, and what it refused.
 *
 * @category models
 */
export interface MemoryStats extends MailboxStats {
  /** Frames given to `inject` that did not decode as an `Envelope`. */
  readonly rejected: number
}

/**
 * The in-memory transport, with the hooks tests use.
 *
 * @category models
 */
export interface MemoryTransport extends TransportService {
  /**
   * Hands a frame to a role as a network would: the frame is decoded with the `Envelope`
   * schema first (one that does not decode is rejected: counted, and recorded as a `Reject`
   * event when there is a `TraceSink`), and it is dropped when its role is not running here
   * (it has not started, or it has ended), or when it would make the role hold more than 256
   * mailboxes (lanes) or 10 000 frames in one (`Drop`, reason "full"). Returns whether the
   * frame reached a mailbox.
   * Tests use it to forge frames.
   */
  readonly inject: (frame: unknown) => boolean
  /** What the transport holds now, and what it has dropped and rejected so far. */
  readonly stats: () => MemoryStats
}

/** A `Reject` event for a frame that is no envelope: its names quoted as far as they are strings. */
export const rejectEvent = (frame: unknown, reason: string) => {
  const field = (k: string): string => {
    try {
      const v = typeof frame === "object" && frame !== null ? (frame as Record<string, unknown>)[k] : undefined
      return typeof v === "string" ? quote(v) : "?"
    } catch {
      return "?"
    }
  }
  return { _tag: "Reject" as const, session: field("session"), role: field("from"), peer: field("to"), label: field("label"), site: field("site"), reason }
}

/**
 * A fresh in-memory transport that records drops and rejections in `sink` (when given).
 *
 * @category constructors
 */
export const unsafeMake = (sink?: TraceSinkService): MemoryTransport => {
  const boxes = new Mailboxes(sink === undefined ? undefined : (e, reason) =>
    sink.record({ _tag: "Drop", session: e.session, role: e.from, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason }))
  let rejected = 0
  const deliver = (envelope: Envelope): void => void boxes.deliver(envelope)
  const inject = (frame: unknown): boolean => {
    const decoded = decodeEnvelope(frame)
    if (Either.isLeft(decoded)) {
      rejected++
      sink?.record(rejectEvent(frame, decoded.left))
      return false
    }
    const e = decoded.right
    // A network delivers only to roles that listen: a frame for one not running here goes.
    if (!boxes.isOpen(e.session, e.to)) {
      sink?.record({ _tag: "Drop", session: e.session, role: e.from, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason: "closed" })
      return false
    }
    return boxes.deliver(e, true)
  }
  const transport: MemoryTransport = {
    serialises: false,
    inject,
    stats: () => ({ ...boxes.stats(), rejected }),
    send: (envelope: Envelope) => Effect.sync(() => deliver(envelope)),
    // The mailbox's own `take`, looked up once per receiver rather than once per frame.
    receive: (session: string, role: string, mailbox?: string) => boxes.get(session, role, mailbox).take,
    open: (session: string, role: string, roles?: ReadonlyArray<string>) => openRole(boxes, session, role, roles),
    close: (session: string, role: string) => Effect.sync(() => boxes.release(session, role)),
    detach: (session, role, uncommitted) => Effect.sync(() => boxes.unread(session, role, uncommitted))
  }
  // `send` is exactly `Effect.sync(() => deliver(envelope))`: channels may call `deliver` directly.
  registerSynchronousSend(transport, deliver)
  // `receive` is exactly the `take` of `boxes.get(…)`: channels may take from that mailbox directly.
  registerInbox(transport, (session, role, mailbox) => boxes.get(session, role, mailbox))
  // A layer above (the reliable layer) may take a mailbox's frames as they are delivered.
  registerTap(transport, { listen: (session, role, mailbox, listener) => boxes.get(session, role, mailbox).listen(listener), send: deliver })
  return transport
}

/**
 * A fresh in-memory transport; it records drops and rejections in the `TraceSink` in context, if any.
 *
 * @category constructors
 */
export const make: Effect.Effect<MemoryTransport> = Effect.map(
  Effect.serviceOption(TraceSink),
  (sink) => unsafeMake(Option.getOrUndefined(sink))
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
