/**
 * The reliable-delivery layer: wraps any `Transport` so that every frame reaches the receiving
 * role exactly once and, per sender and lane, in order — over a network that loses,
 * duplicates and reorders frames (the chaos layer, a flaky link).
 *
 * - **Acknowledgements.** For every frame it takes in, the receiving side sends back an ack
 *   (label `~ack`, same seq) on the sender's ack lane.
 * - **Retransmission.** The sending side sends the frame again on a `Schedule` until its ack
 *   comes. When the schedule ends first, the sender gives up: its next receive fails with a
 *   `TransportError` naming the peer, label, site and seq (it is never left hanging).
 * - **De-duplication and order.** Frames carry the channel's per-pair sequence numbers; the
 *   receiving side hands them to the role in that order, once each, keeping early ones aside
 *   and dropping copies it has already handed on.
 *
 * Each role's side runs as fibers in the layer's scope: one reads acks, and one per lane the
 * role receives on takes frames in (so frames are acknowledged even after the role stopped
 * reading). Retransmissions are recorded in the `TraceSink` when there is one.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Either, Fiber, Layer, Option, Schedule, Scope } from "effect"
import { TransportError } from "../effects/errors.js"
import { TraceSink, type TraceSinkService } from "../effects/TraceSink.js"
import { type Envelope, Transport, type TransportService } from "../effects/Transport.js"
import { Mailbox } from "./memory.js"

/**
 * Options of the reliable layer.
 *
 * @category models
 */
export interface ReliableOptions {
  /**
   * When to send an unacknowledged frame again (its delays, and when to give up). Default:
   * `defaultRetransmission`.
   */
  readonly retransmit?: Schedule.Schedule<unknown, unknown> | undefined
}

/**
 * The default retransmission schedule: after 10 ms, then twice as long each time up to 1 s
 * apart, at most 30 times (about 24 s in all) before giving up.
 *
 * @category constructors
 */
export const defaultRetransmission: Schedule.Schedule<unknown, unknown> = Schedule.exponential(Duration.millis(10)).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(1))),
  Schedule.intersect(Schedule.recurs(30))
)

/** The lane acks travel on, to the role that sent the frame. */
export const ackLane = "~ack"
/** The label of an ack. */
export const ackLabel = "~ack"

interface Outgoing {
  acked: boolean
  fiber: Fiber.RuntimeFiber<void> | undefined
}

/** The receiving side of one role on one lane. */
interface Inbound {
  /** Frames in order, for the role. */
  readonly box: Mailbox
  /** The seq expected next, by sender. */
  readonly expected: Map<string, number>
  /** Frames that came early, by sender and seq. */
  readonly early: Map<string, Map<number, Envelope>>
}

const key = (...parts: ReadonlyArray<string | number>) => parts.join("\u0000")

/**
 * Wraps `transport` in reliable delivery; its fibers run in the scope.
 *
 * @category constructors
 */
export const wrap = (
  transport: TransportService,
  options: ReliableOptions = {}
): Effect.Effect<TransportService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const sink = Option.getOrUndefined(yield* Effect.serviceOption(TraceSink))
    return unsafeWrap(transport, options.retransmit ?? defaultRetransmission, scope, sink)
  })

const unsafeWrap = (
  transport: TransportService,
  schedule: Schedule.Schedule<unknown, unknown>,
  scope: Scope.Scope,
  sink: TraceSinkService | undefined
): TransportService => {
  /** Unacknowledged frames, by session, sender, receiver, lane and seq. */
  const outgoing = new Map<string, Outgoing>()
  /** The roles (by session) whose ack reader runs. */
  const ackReaders = new Set<string>()
  const inbound = new Map<string, Inbound>()
  /** Why a role's receives fail, once it gave up on a frame; by session and role. */
  const failed = new Map<string, TransportError>()

  const outKey = (session: string, from: string, to: string, lane: string | undefined, seq: number) =>
    key(session, from, to, lane ?? "", seq)

  /** Takes the acks addressed to `role` for as long as the layer lives. */
  const readAcks = (session: string, role: string) =>
    Effect.forkIn(
      Effect.forever(
        Effect.flatMap(transport.receive(session, role, ackLane), (ack) =>
          Effect.suspend(() => {
            const k = outKey(session, role, ack.from, ack.payload as string, ack.seq)
            const o = outgoing.get(k)
            if (o === undefined) return Effect.void // a duplicate ack
            outgoing.delete(k)
            o.acked = true
            return o.fiber === undefined ? Effect.void : Fiber.interruptFork(o.fiber)
          }))
      ).pipe(Effect.ignore),
      scope
    )

  const giveUp = (e: Envelope, attempts: number) =>
    Effect.sync(() => {
      const error = new TransportError({
        role: e.from,
        peer: e.to,
        message:
          `${e.from} gave up on ${e.label} to ${e.to} (site ${e.site}${e.lane === undefined ? "" : `, lane ${e.lane}`}, seq ${e.seq}): no acknowledgement after ${attempts} retransmissions`
      })
      const who = key(e.session, e.from)
      if (!failed.has(who)) failed.set(who, error)
      for (const [k, i] of inbound) if (k.startsWith(`${who}\u0000`)) i.box.fail(error)
    })

  /** Sends `e` again on the schedule until it is acknowledged, or gives up. */
  const retransmit = (e: Envelope, o: Outgoing) =>
    Effect.gen(function*() {
      const driver = yield* Schedule.driver(schedule)
      for (let attempts = 0;; attempts++) {
        const step = yield* Effect.either(driver.next(undefined))
        if (o.acked) return
        if (Either.isLeft(step)) return yield* giveUp(e, attempts)
        sink?.record({ _tag: "Retransmit", session: e.session, role: e.from, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq })
        yield* Effect.ignore(transport.send(e))
      }
    })

  const send = (e: Envelope): Effect.Effect<void, TransportError> =>
    Effect.flatMap(transport.send(e), () =>
      Effect.suspend(() => {
        const reader = key(e.session, e.from)
        const startReader = ackReaders.has(reader) ? Effect.void : (ackReaders.add(reader), readAcks(e.session, e.from))
        const o: Outgoing = { acked: false, fiber: undefined }
        outgoing.set(outKey(e.session, e.from, e.to, e.lane, e.seq), o)
        return Effect.zipRight(
          startReader,
          Effect.map(Effect.forkIn(retransmit(e, o), scope), (fiber) => {
            if (!o.acked) o.fiber = fiber
          })
        )
      }))

  /** Takes in the frames addressed to `role` on `lane`: acks each, hands them on in order, once. */
  const takeIn = (session: string, role: string, lane: string | undefined, i: Inbound) =>
    Effect.forkIn(
      Effect.forever(
        Effect.flatMap(transport.receive(session, role, lane), (e) =>
          Effect.zipRight(
            Effect.ignore(
              transport.send({
                session,
                from: role,
                to: e.from,
                label: ackLabel,
                site: e.site,
                loops: {},
                seq: e.seq,
                payload: e.lane ?? "",
                lane: ackLane
              })
            ),
            Effect.sync(() => {
              let next = i.expected.get(e.from) ?? 0
              if (e.seq < next) return // a copy of a frame handed on already
              if (e.seq > next) {
                let early = i.early.get(e.from)
                if (early === undefined) i.early.set(e.from, early = new Map())
                early.set(e.seq, e)
                return
              }
              i.box.offer(e)
              next++
              const early = i.early.get(e.from)
              while (early !== undefined && early.has(next)) {
                i.box.offer(early.get(next)!)
                early.delete(next)
                next++
              }
              i.expected.set(e.from, next)
            })
          ))
      ).pipe(
        // The network failed for good (the simulator's deadlock, a closed connection): so do the role's receives.
        Effect.catchAll((error) => Effect.sync(() => i.box.fail(error)))
      ),
      scope
    )

  const receive = (session: string, role: string, lane?: string): Effect.Effect<Envelope, TransportError> =>
    Effect.suspend(() => {
      const k = key(session, role, lane ?? "")
      let i = inbound.get(k)
      if (i === undefined) {
        i = { box: new Mailbox(), expected: new Map(), early: new Map() }
        inbound.set(k, i)
        const gaveUp = failed.get(key(session, role))
        if (gaveUp !== undefined) i.box.fail(gaveUp)
        return Effect.zipRight(takeIn(session, role, lane, i), i.box.take)
      }
      return i.box.take
    })

  return { serialises: transport.serialises, send, receive }
}

/**
 * The reliable layer over the `Transport` it is given.
 *
 * @example
 * ```ts
 * const network = Layer.provide(Reliable.layer(), Layer.provide(Chaos.layer({ seed: 1, drop: 0.1 }), Memory.layer))
 * ```
 *
 * @category layers
 */
export const layer = (options: ReliableOptions = {}): Layer.Layer<Transport, never, Transport> =>
  Layer.scoped(Transport, Effect.flatMap(Transport, (inner) => wrap(inner, options)))
