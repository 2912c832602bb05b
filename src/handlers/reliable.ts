/**
 * The reliable-delivery layer: wraps any `Transport` so that every frame reaches the receiving
 * role exactly once and, per sender and lane, in order — over a network that loses,
 * duplicates and reorders frames (the chaos layer, a flaky link).
 *
 * - **One intake per role.** All frames to a role, of every lane, and the acknowledgements
 *   it gets, travel to one mailbox of the role (`Envelope.mailbox`). A fiber takes them in
 *   from the moment the role opens (or first sends or receives), whether or not the role is
 *   reading yet, and for a while (`linger`) after it has ended, so that copies of frames it
 *   has taken are still acknowledged.
 * - **Acknowledgements.** Every frame the intake takes in is acknowledged: the ack rides on the
 *   next frame the role sends that peer (`Envelope.acks`: lane and seq), or goes on its own
 *   (label `~ack <label>`, the frame's lane and seq, more acks in `acks`) when the role is about
 *   to wait for a frame, when it ends, when the frame is a copy of one taken in already, or
 *   `ackDelay` after the frame came while the role was not reading.
 * - **Over a tapped transport** (the in-memory one, straight below): no intake fiber. A role's
 *   frames and acks are taken in as they are delivered, in the sender's call; a frame is
 *   acknowledged at once, and its ack settles it before its send returns, so that its
 *   retransmission schedule starts only for a frame that is lost (its receiver has ended).
 * - **Retransmission.** The sending side sends a frame again on a `Schedule` until its ack
 *   comes. When the schedule ends first, the last copy is given as long as the last wait to
 *   be acknowledged (a second when the schedule allowed no retransmission at all); then the
 *   layer gives up with a `TransportError` naming the frame: the sender's next receive fails
 *   with it, and so does the receiver's, when it runs on this layer too and has not had the
 *   frame (nobody is left waiting for it in vain).
 * - **De-duplication and order.** Frames carry the channel's per-pair sequence numbers; the
 *   intake hands them to the role's lanes in that order, once each, keeping early ones aside
 *   and dropping copies it has already handed on.
 *
 * Retransmissions are recorded in the `TraceSink` when there is one. Labels beginning with
 * `~ack ` are the layer's own. A session id may not be used again for a role while its last
 * run lingers (`open` refuses it with a `TransportError`): the frames of two runs would mix.
 * As all of a role's frames share one mailbox, the simulator delivers the frames one sender
 * sends a role on different lanes in the order sent, where without this layer it may
 * interleave them.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Fiber, type Layer, type Schedule, Scope } from "effect"
import * as Sched from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import { TransportError } from "../effects/errors.js"
import type { TraceSinkService } from "../effects/TraceSink.js"
import {
  type Ack,
  type Envelope,
  maxAcksPerFrame,
  type Inbox,
  registerInbox,
  registerSynchronousSend,
  synchronousSendOf,
  tapOf,
  type Transport,
  type TransportService
} from "../effects/Transport.js"
import { wrapper, wrapperLayer } from "./wrapper.js"
import { Mailbox, maxFramesPerMailbox, maxMailboxesPerRole } from "./mailbox.js"

/**
 * Options of the reliable layer.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { Reliable } from "quadrille"
 *
 * // Every 50 ms, ten times at most; copies acknowledged for 5 s after a role has ended.
 * const options: Reliable.ReliableOptions = {
 *   retransmit: Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(10))),
 *   linger: "5 seconds",
 *   window: 256
 * }
 * const reliable = Reliable.layer(options)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ReliableOptions {
  /**
   * When to send an unacknowledged frame again (its delays, and when to give up). Default:
   * `defaultRetransmission`.
   */
  readonly retransmit?: Schedule.Schedule<unknown, unknown> | undefined
  /**
   * How long a role's intake goes on acknowledging copies of frames after the role has ended
   * (by `Clock` time), before the layer forgets the role. Default: 30 seconds.
   */
  readonly linger?: Duration.DurationInput | undefined
  /**
   * How far ahead of the next frame it awaits from a sender (on a lane) a role's intake keeps
   * frames that come early; one further ahead is dropped unacknowledged, and sent again by
   * its sender later. Default: 1024 frames.
   */
  readonly window?: number | undefined
  /**
   * How long an acknowledgement may wait for a frame going back to carry it, when the role is
   * not reading (it works, or sleeps) as the frame comes: then it goes on its own. Keep it
   * well under the first retransmission delay. Default: 2 ms (by `Clock` time).
   */
  readonly ackDelay?: Duration.DurationInput | undefined
}

/**
 * The default retransmission schedule: after 10 ms, then twice as long each time up to 1 s
 * apart, at most 30 times (about 24 s in all) before giving up.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { Reliable } from "quadrille"
 *
 * // The default delays, with jitter, giving up after 10 retransmissions rather than 30.
 * const reliable = Reliable.layer({
 *   retransmit: Reliable.defaultRetransmission.pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(10)))
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultRetransmission: Schedule.Schedule<unknown, unknown> = Sched.exponential(Duration.millis(10)).pipe(
  Sched.union(Sched.spaced(Duration.seconds(1))),
  Sched.intersect(Sched.recurs(30))
)

/** The mailbox of a role that all its frames and acks go to. */
const intakeMailbox = "~reliable"
const ackPrefix = "~ack "

/** The labels of acks made before, by the label of the frame: not built anew for every frame. Bounded. */
const ackLabels = new Map<string, string>()

const ackLabel = (label: string): string => {
  const known = ackLabels.get(label)
  if (known !== undefined) return known
  const made = `${ackPrefix}${label}`
  if (ackLabels.size < 4096) ackLabels.set(label, made)
  return made
}

/** A frame not acknowledged yet, and where its retransmission schedule stands. */
interface Outgoing {
  readonly frame: Envelope
  /** The schedule's state. */
  state: unknown
  /**
   * When to send it again (or, once the schedule has ended, to give up), by the Clock;
   * `Infinity` until the schedule's first step, taken once the frame has left and only if its
   * ack has not come meanwhile (over a tapped transport it comes during the send).
   */
  due: number
  /** The last wait the schedule asked for (what the last copy is given to be acknowledged). */
  gap: number
  /** The schedule has ended: give up at `due`. */
  done: boolean
  attempts: number
  /** Not acknowledged (nor given up) yet. */
  live: boolean
}

/**
 * A role's frames not acknowledged yet, by receiver, lane and seq: nested maps, looked up with
 * the envelope's own strings (whose hashes V8 keeps) rather than a key built for every frame.
 */
class Unacked {
  private readonly byPeer = new Map<string, Map<string, Map<number, Outgoing>>>()
  size = 0

  add(o: Outgoing): void {
    const e = o.frame
    let byLane = this.byPeer.get(e.to)
    if (byLane === undefined) this.byPeer.set(e.to, byLane = new Map())
    const lane = e.lane ?? ""
    let bySeq = byLane.get(lane)
    if (bySeq === undefined) byLane.set(lane, bySeq = new Map())
    const before = bySeq.get(e.seq)
    if (before !== undefined) before.live = false
    else this.size++
    bySeq.set(e.seq, o)
  }

  /** Forgets the frame to `to` on `lane` with `seq`; whether it was here. */
  delete(to: string, lane: string | undefined, seq: number): boolean {
    const byLane = this.byPeer.get(to)
    const bySeq = byLane?.get(lane ?? "")
    const o = bySeq?.get(seq)
    if (o === undefined) return false
    o.live = false
    bySeq!.delete(seq)
    this.size--
    return true
  }

  *values(): Iterable<Outgoing> {
    for (const byLane of this.byPeer.values()) for (const bySeq of byLane.values()) yield* bySeq.values()
  }

  clear(): void {
    for (const o of this.values()) o.live = false
    this.byPeer.clear()
    this.size = 0
  }
}

/** A session's sides, by session and role (nested, as `Unacked`). */
class Sides {
  private readonly bySession = new Map<string, Map<string, Side>>()

  get(session: string, role: string): Side | undefined {
    return this.bySession.get(session)?.get(role)
  }

  add(side: Side): void {
    let byRole = this.bySession.get(side.session)
    if (byRole === undefined) this.bySession.set(side.session, byRole = new Map())
    byRole.set(side.role, side)
  }

  /** Forgets `side` (not another side of its role made since). */
  delete(side: Side): void {
    const byRole = this.bySession.get(side.session)
    if (byRole?.get(side.role) !== side) return
    byRole.delete(side.role)
    if (byRole.size === 0) this.bySession.delete(side.session)
  }

  values(): Array<Side> {
    return [...this.bySession.values()].flatMap((byRole) => [...byRole.values()])
  }

  clear(): void {
    this.bySession.clear()
  }
}

/** What a role's intake keeps for one lane. */
interface Lane {
  /** Frames in order, for the role. */
  readonly box: Mailbox
  /** The seq expected next, by sender. */
  readonly expected: Map<string, number>
  /** Frames that came early, by sender and seq. */
  readonly early: Map<string, Map<number, Envelope>>
}

/** One role in one session, on this layer. */
interface Side {
  readonly session: string
  readonly role: string
  readonly lanes: Map<string, Lane>
  /** The fiber that takes in its frames and acks (none over a tapped transport). */
  intake: Fiber.RuntimeFiber<void> | undefined
  /** Over a tapped transport: stops the tap that takes in its frames and acks. */
  detach: (() => void) | undefined
  /** The role's frames not acknowledged yet, by receiver, lane and seq. */
  readonly outgoing: Unacked
  /**
   * Over a tapped transport, the frame being sent now (not in `outgoing`: its ack comes during
   * the send), and whether its ack has come.
   */
  sending: Envelope | undefined
  sendingAcked: boolean
  /** The fiber that sends them again, when it runs: when it wakes next. */
  retransmitter: { wakeAt: number } | undefined
  /** The role has ended (it lingers): opening it again in this session is refused. */
  closed: boolean
  /** Once set, every receive of the role fails with it (new lanes too). */
  failure: TransportError | undefined
  /** Who waits for `outgoing` to empty (a role that ends, see `flush`). */
  readonly drained: Array<() => void>
  /**
   * The acks the role owes, by peer, not sent yet: the next frame to that peer carries them
   * (`Envelope.acks`), or they go on their own when the role is about to wait for a frame, when
   * it ends, or `ackDelay` after a frame came while it was not reading.
   */
  readonly owed: Map<string, Array<Owed>>
  owedCount: number
  /** A fiber waits to send the owed acks (`ackDelay`). */
  ackTimer: boolean
}

/** An ack owed: of the frame on `lane` with `seq` (and its `label` and `site`, for a standalone ack). */
interface Owed extends Ack {
  readonly label: string
  readonly site: string
}

/**
 * Wraps `transport` in reliable delivery; its fibers run in the scope.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Reliable, Role, Session, Transport } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const roles = {
 *   Client: Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   Server: Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 * }
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   // Its fibers (intakes, retransmissions) end with the scope.
 *   const transport = yield* Reliable.wrap(Memory.unsafeMake(), { linger: "1 second" })
 *   return yield* Session.run(PingPong, roles).pipe(Effect.provideService(Transport, transport))
 * }))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const wrap = (transport: TransportService, options: ReliableOptions = {}): Effect.Effect<TransportService, never, Scope.Scope> =>
  wrapReliable(transport, options)

const wrapReliable = wrapper<ReliableOptions>((transport, options, scope, sink) => unsafeWrap(transport, options, scope, sink))

const unsafeWrap = (
  transport: TransportService,
  options: ReliableOptions,
  scope: Scope.Scope,
  sink: TraceSinkService | undefined
): TransportService => {
  const schedule = options.retransmit ?? defaultRetransmission
  const window = options.window ?? 1024
  const linger = options.linger ?? Duration.seconds(30)
  const ackDelay = options.ackDelay ?? Duration.millis(2)
  const sides = new Sides()
  // Over a transport that sends at once (in memory), acks and frames go out without an Effect
  // each. Over one whose mailboxes may be tapped too (in memory), a role's frames and acks are
  // taken in as they are delivered, in the sender's call, without an intake fiber: a frame is
  // acknowledged, and its ack settles it, before its send returns.
  const tap = tapOf(transport)
  const deliver = synchronousSendOf(transport)
  const sendNow = (e: Envelope): Effect.Effect<void, TransportError> | undefined =>
    tap !== undefined ? void tap.send(e) : deliver === undefined ? transport.send(e) : (deliver(e) ?? undefined)

  const laneOf = (side: Side, name: string): Lane => {
    let lane = side.lanes.get(name)
    if (lane === undefined) {
      lane = { box: new Mailbox(), expected: new Map(), early: new Map() }
      if (side.failure !== undefined) lane.box.fail(side.failure)
      side.lanes.set(name, lane)
    }
    return lane
  }

  const failSide = (side: Side, error: TransportError) => {
    if (side.failure === undefined) side.failure = error
    for (const lane of side.lanes.values()) lane.box.fail(error)
    wakeDrained(side)
  }

  const wakeDrained = (side: Side) => {
    for (const wake of side.drained.splice(0)) wake()
  }

  /** Takes in an ack from `peer`: the frame it names needs no more retransmission. */
  const settle = (side: Side, peer: string, lane: string | undefined, seq: number): void => {
    const sending = side.sending
    if (sending !== undefined && seq === sending.seq && peer === sending.to && (lane ?? "") === (sending.lane ?? "")) {
      side.sendingAcked = true
      return
    }
    // (A copy of an ack finds nothing to settle.)
    if (side.outgoing.delete(peer, lane, seq) && side.outgoing.size === 0) wakeDrained(side)
  }

  /** A standalone ack of `owed` (and of `more`) from `side` to `peer`. */
  const ackFrame = (side: Side, peer: string, owed: Owed, more: ReadonlyArray<Ack> | undefined): Envelope => ({
    session: side.session,
    from: side.role,
    to: peer,
    label: ackLabel(owed.label),
    site: owed.site,
    loops: {},
    seq: owed.seq,
    payload: undefined,
    lane: owed.lane,
    mailbox: intakeMailbox,
    acks: more
  })

  /** The acks owed to `peer`, at most `maxAcksPerFrame`, as a frame carries them; forgotten as owed. */
  const takeOwed = (side: Side, peer: string): Array<Ack> | undefined => {
    const list = side.owed.get(peer)
    if (list === undefined) return undefined
    const taken = list.length <= maxAcksPerFrame ? list : list.splice(0, maxAcksPerFrame)
    if (taken === list) side.owed.delete(peer)
    side.owedCount -= taken.length
    return taken.map((a) => (a.lane === undefined ? { seq: a.seq } : { seq: a.seq, lane: a.lane }))
  }

  /** Sends every ack the role owes, on its own (one frame per peer and `maxAcksPerFrame` + 1 acks). */
  const sendOwed = (side: Side): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (side.owedCount === 0) return Effect.void
      const frames: Array<Envelope> = []
      for (const [peer, list] of side.owed) {
        for (let i = 0; i < list.length; i += maxAcksPerFrame + 1) {
          const more = list.slice(i + 1, i + 1 + maxAcksPerFrame).map((a) => (a.lane === undefined ? { seq: a.seq } : { seq: a.seq, lane: a.lane }))
          frames.push(ackFrame(side, peer, list[i], more.length === 0 ? undefined : more))
        }
      }
      side.owed.clear()
      side.owedCount = 0
      return Effect.forEach(frames, (f) => Effect.ignore(sendNow(f) ?? Effect.void), { discard: true })
    })

  /** Sends the owed acks `ackDelay` from now, unless a fiber is waiting to already. */
  const ackLater = (side: Side): Effect.Effect<void> | undefined => {
    if (side.ackTimer) return undefined
    side.ackTimer = true
    const later = Effect.zipRight(Effect.sleep(ackDelay), Effect.suspend(() => {
      side.ackTimer = false
      return sendOwed(side)
    }))
    return Effect.asVoid(Effect.forkIn(Effect.interruptible(later), scope))
  }

  /**
   * Forgets the lanes of a role that hold nothing and that nobody waits on (the branches and
   * timeout parts of earlier rounds, or a forger's): what is left counts against the bound.
   */
  const forgetIdleLanes = (side: Side) => {
    for (const [name, lane] of side.lanes) {
      if (name !== "" && lane.box.size === 0 && !lane.box.waiting && [...lane.early.values()].every((m) => m.size === 0)) side.lanes.delete(name)
    }
  }

  /** Records a frame the intake will not take: it came too far ahead of those awaited. */
  const dropAhead = (e: Envelope, reason: "window" | "full") =>
    sink?.record({ _tag: "Drop", session: e.session, role: e.from, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason })

  /**
   * Takes in a frame: acknowledges it, and hands it to its lane in order, once. A frame more
   * than `window` ahead of the next one awaited from its sender is dropped unacknowledged
   * (the sender sends it again later), so that nobody can make the intake keep frames
   * without limit.
   */
  const takeIn = (side: Side, e: Envelope): Effect.Effect<void> | undefined => {
    // A peer may not make the intake hold lanes or frames without bound: beyond, a frame is
    // dropped unacknowledged (a real sender sends it again once the role has read its backlog).
    const known = side.lanes.get(e.lane ?? "")
    if (known === undefined && side.lanes.size >= maxMailboxesPerRole) forgetIdleLanes(side)
    if (known === undefined ? side.lanes.size >= maxMailboxesPerRole : known.box.size >= maxFramesPerMailbox) {
      dropAhead(e, "full")
      return undefined
    }
    const lane = laneOf(side, e.lane ?? "")
    if (e.seq >= (lane.expected.get(e.from) ?? 0) + window) {
      dropAhead(e, "window")
      return undefined
    }
    const handOn = () => {
      let next = lane.expected.get(e.from) ?? 0
      if (e.seq < next) return // a copy of a frame handed on already (acknowledged again above)
      if (e.seq > next) {
        let early = lane.early.get(e.from)
        if (early === undefined) lane.early.set(e.from, early = new Map())
        early.set(e.seq, e)
        return
      }
      lane.box.offer(e)
      next++
      const early = lane.early.get(e.from)
      while (early !== undefined && early.has(next)) {
        lane.box.offer(early.get(next)!)
        early.delete(next)
        next++
      }
      lane.expected.set(e.from, next)
    }
    if (tap === undefined && !side.closed && e.seq >= (lane.expected.get(e.from) ?? 0)) {
      // The ack waits for a frame going back to carry it. When the role is not reading this
      // lane now (it works, or waits elsewhere), it may not send one soon: then the ack goes on
      // its own after `ackDelay` at the latest. (A copy is acknowledged at once, below: its
      // sender has sent it again, so it may have missed the ack or not read acks carried.)
      const reading = lane.box.waiting
      let list = side.owed.get(e.from)
      if (list === undefined) side.owed.set(e.from, list = [])
      list.push({ seq: e.seq, lane: e.lane, label: e.label, site: e.site })
      side.owedCount++
      handOn()
      return reading ? undefined : ackLater(side)
    }
    // The ack first, then the frame is handed on (once the ack is sent, when that takes an Effect).
    const acked = sendNow({
      session: side.session,
      from: side.role,
      to: e.from,
      label: ackLabel(e.label),
      site: e.site,
      loops: {},
      seq: e.seq,
      payload: undefined,
      lane: e.lane,
      mailbox: intakeMailbox
    })
    if (acked === undefined) {
      handOn()
      return undefined
    }
    return Effect.zipRight(Effect.ignore(acked), Effect.sync(handOn))
  }

  /** Takes in what came to the role's intake mailbox: an ack, or a frame. */
  const intakeFrame = (side: Side, e: Envelope): Effect.Effect<void> | undefined => {
    const acks = e.acks
    if (acks !== undefined) for (let i = 0; i < acks.length; i++) settle(side, e.from, acks[i].lane, acks[i].seq)
    if (e.label.startsWith(ackPrefix)) {
      settle(side, e.from, e.lane, e.seq)
      return undefined
    }
    return takeIn(side, e)
  }

  /** A new side, known from now on; over a tapped transport, taking in its frames already. */
  const newSide = (session: string, role: string): Side => {
    const side: Side = {
      session,
      role,
      lanes: new Map(),
      intake: undefined,
      detach: undefined,
      failure: undefined,
      outgoing: new Unacked(),
      sending: undefined,
      sendingAcked: false,
      owed: new Map(),
      owedCount: 0,
      ackTimer: false,
      retransmitter: undefined,
      closed: false,
      drained: []
    }
    sides.add(side)
    if (tap !== undefined) {
      // (Acks go out through `tap.send`, at once: `takeIn` leaves no Effect to run.)
      side.detach = tap.listen(session, role, intakeMailbox, {
        frame: (e) => void intakeFrame(side, e),
        // The network failed for good (a closed connection): so do the role's receives.
        fail: (error) => failSide(side, error)
      })
    }
    return side
  }

  /** Over a tapped transport: the role's side, taking in its frames, made if need be. */
  const sideNow = (session: string, role: string): Side => sides.get(session, role) ?? newSide(session, role)

  /** The role's side, its intake started. */
  const sideOf = (session: string, role: string): Effect.Effect<Side> =>
    Effect.suspend(() => {
      const known = sides.get(session, role)
      if (known !== undefined) return Effect.succeed(known)
      const side = newSide(session, role)
      if (tap !== undefined) return Effect.succeed(side)
      const intake = Effect.forever(
        Effect.flatMap(transport.receive(session, role, intakeMailbox), (e) => intakeFrame(side, e) ?? Effect.void)
      ).pipe(
        // The network failed for good (the simulator's deadlock, a closed connection): so do the role's receives.
        Effect.catchAll((error) => Effect.sync(() => failSide(side, error)))
      )
      return Effect.as(
        Effect.tap(Effect.forkIn(Effect.interruptible(intake), scope), (fiber) => {
          side.intake = fiber
        }),
        side
      )
    })

  const giveUp = (e: Envelope, attempts: number) =>
    Effect.sync(() => {
      const error = new TransportError({
        role: e.from,
        peer: e.to,
        message:
          `${e.from} gave up on ${e.label} to ${e.to} (site ${e.site}${e.lane === undefined ? "" : `, lane ${e.lane}`}, seq ${e.seq}): no acknowledgement after ${attempts} retransmissions`
      })
      const sender = sides.get(e.session, e.from)
      if (sender !== undefined) failSide(sender, error)
      // The receiver, when it is here too and still needs the frame, would wait for it in vain.
      const receiver = sides.get(e.session, e.to)
      if (receiver !== undefined) {
        const lane = laneOf(receiver, e.lane ?? "")
        if ((lane.expected.get(e.from) ?? 0) <= e.seq) lane.box.fail(error)
      }
    })

  /**
   * Sends the role's unacknowledged frames again, each when its schedule says, until they are
   * acknowledged or, some time after their schedules end, given up; one fiber per role,
   * running while there are any. A frame due before the fiber wakes starts a new one (the
   * old one, no longer `side.retransmitter`, then just ends).
   */
  const retransmitter = (side: Side, me: NonNullable<Side["retransmitter"]>): Effect.Effect<void> =>
    Effect.gen(function*() {
      for (;;) {
        if (side.retransmitter !== me) return
        if (side.outgoing.size === 0) {
          side.retransmitter = undefined
          return
        }
        let next = Infinity
        for (const o of side.outgoing.values()) if (o.due < next) next = o.due
        if (next === Infinity) {
          // Only frames whose schedules have not started: each starts a retransmitter then.
          side.retransmitter = undefined
          return
        }
        me.wakeAt = next
        const now = yield* Clock.currentTimeMillis
        // At least a millisecond: a schedule without delays must not spin.
        yield* Effect.sleep(Duration.millis(Math.max(next - now, 1)))
        if (side.retransmitter !== me) return
        const t = yield* Clock.currentTimeMillis
        for (const o of [...side.outgoing.values()]) {
          if (o.due > t || !o.live) continue
          if (o.done) {
            side.outgoing.delete(o.frame.to, o.frame.lane, o.frame.seq)
            yield* giveUp(o.frame, o.attempts)
            continue
          }
          const e = o.frame
          o.attempts++
          sink?.record({ _tag: "Retransmit", session: e.session, role: e.from, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq })
          yield* Effect.ignore(transport.send(e))
          const [state, , decision] = yield* schedule.step(t, undefined, o.state)
          o.state = state
          if (ScheduleDecision.isDone(decision)) {
            // That was the last copy: it gets as long as the last wait to be acknowledged.
            o.done = true
            o.due = t + o.gap
          } else {
            o.due = Intervals.start(decision.intervals)
            o.gap = o.due - t
          }
        }
      }
    })

  /** Runs the retransmitter of `side` if it is not running, or will not wake by `due`. */
  const retransmitBy = (side: Side, due: number): Effect.Effect<void> => {
    const running = side.retransmitter
    if (running !== undefined && running.wakeAt <= due) return Effect.void
    const me = { wakeAt: due }
    side.retransmitter = me
    return Effect.asVoid(Effect.forkIn(Effect.interruptible(retransmitter(side, me)), scope))
  }

  /** Starts the retransmission schedule of a frame that has left and is not acknowledged yet. */
  const startSchedule = (side: Side, o: Outgoing): Effect.Effect<void> =>
    Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      return Effect.flatMap(schedule.step(now, undefined, schedule.initial), ([state, , decision]) => {
        // A schedule that ends at once allows no retransmission: the frame gets a second.
        const done = ScheduleDecision.isDone(decision)
        const due = done ? now + 1000 : Intervals.start(decision.intervals)
        o.state = state
        o.due = due
        o.gap = due - now
        o.done = done
        return retransmitBy(side, due)
      })
    })

  /**
   * Sends a frame of the role's: at once, and then, unless its ack came meanwhile, starts its
   * retransmission schedule. `undefined` when nothing remains to be done.
   */
  const sendFrom = (side: Side, e: Envelope): Effect.Effect<void, TransportError> | undefined => {
    const frame: Envelope = e.lane === undefined
      ? { session: e.session, from: e.from, to: e.to, label: e.label, site: e.site, loops: e.loops, seq: e.seq, payload: e.payload, mailbox: intakeMailbox }
      : { session: e.session, from: e.from, to: e.to, label: e.label, site: e.site, loops: e.loops, seq: e.seq, payload: e.payload, lane: e.lane, mailbox: intakeMailbox }
    if (tap !== undefined) {
      // Its ack comes during the send, unless the frame is lost (its receiver has ended, say):
      // only then is it kept, as unacknowledged, and its schedule started.
      const before = side.sending
      side.sending = frame
      side.sendingAcked = false
      tap.send(frame)
      const acked = side.sendingAcked
      side.sending = before
      if (acked) return undefined
      const o: Outgoing = { frame, state: undefined, due: Infinity, gap: 0, done: false, attempts: 0, live: true }
      side.outgoing.add(o)
      return startSchedule(side, o)
    }
    const acks = side.owedCount > 0 ? takeOwed(side, e.to) : undefined
    const carrying = acks === undefined ? frame : { ...frame, acks }
    const o: Outgoing = { frame: carrying, state: undefined, due: Infinity, gap: 0, done: false, attempts: 0, live: true }
    // Known as unacknowledged before it leaves, so that no ack can come before.
    side.outgoing.add(o)
    const sent = sendNow(carrying)
    if (sent === undefined) return o.live ? startSchedule(side, o) : undefined
    // (Its schedule starts even when the send failed: it is sent again later, or given up.)
    return Effect.flatMap(Effect.exit(sent), (exit) => (o.live ? Effect.zipRight(startSchedule(side, o), exit) : exit))
  }

  const send = (e: Envelope): Effect.Effect<void, TransportError> =>
    Effect.suspend(() => {
      // The side is known after the role's first step: no Effect to look it up.
      const known = sides.get(e.session, e.from) ?? (tap !== undefined ? newSide(e.session, e.from) : undefined)
      return known !== undefined
        ? sendFrom(known, e) ?? Effect.void
        : Effect.flatMap(sideOf(e.session, e.from), (side) => sendFrom(side, e) ?? Effect.void)
    })

  /**
   * Over a tapped transport, a channel may take from a lane's mailbox directly: the main
   * line's is the mailbox itself; another lane's is looked up at each use, as an idle lane
   * may be forgotten (`forgetIdleLanes`) and made anew.
   */
  const inbox = (session: string, role: string, lane?: string): Inbox => {
    const side = sideNow(session, role)
    if (lane === undefined || lane === "") return laneOf(side, "").box
    const box = () => laneOf(side, lane).box
    return {
      take: Effect.suspend(() => box().take),
      poll: () => box().poll(),
      get failed() {
        return box().failed
      },
      get size() {
        return box().size
      },
      waitThen: (next) => Effect.suspend(() => box().waitThen(next))
    }
  }

  const receive = (session: string, role: string, lane?: string): Effect.Effect<Envelope, TransportError> =>
    tap !== undefined
      ? Effect.suspend(() => laneOf(sideNow(session, role), lane ?? "").box.take)
      : Effect.flatMap(sideOf(session, role), (side) => {
        const box = laneOf(side, lane ?? "").box
        // About to wait: the acks the role owes go now, as no frame of its may carry them soon.
        return side.owedCount > 0 && box.size === 0 ? Effect.zipRight(sendOwed(side), box.take) : box.take
      })

  const open = (session: string, role: string, roles?: ReadonlyArray<string>): Effect.Effect<void, TransportError> =>
    Effect.suspend(() => {
      if (sides.get(session, role)?.closed === true) {
        return Effect.fail(
          new TransportError({
            role,
            peer: "",
            message: `session id ${session} is used again for ${role} while its last run lingers (frames of the two runs would mix): give every run its own session id`
          })
        )
      }
      return Effect.zipRight(sideOf(session, role), transport.open?.(session, role, roles) ?? Effect.void)
    })

  /**
   * After `linger`, stops the role's intake and forgets it. (Called from a finalizer, so the
   * waiting fiber is made interruptible: closing the layer must not wait for it.)
   */
  const close = (session: string, role: string): Effect.Effect<void> =>
    Effect.suspend(() => {
      const lingering = sides.get(session, role)
      if (lingering !== undefined) lingering.closed = true
      // The role sends nothing more that could carry the acks it owes: they go now (and the
      // copies that come while it lingers are acknowledged at once).
      const owed = lingering === undefined ? Effect.void : sendOwed(lingering)
      return Effect.zipRight(owed, Effect.asVoid(Effect.forkIn(
        Effect.interruptible(Effect.zipRight(Effect.sleep(linger), Effect.suspend(() => {
            const side = sides.get(session, role)
            if (side !== undefined) sides.delete(side)
            // The role ended `linger` ago: no more retransmissions of its frames either.
            side?.outgoing.clear()
            side?.detach?.()
            const stop = side?.intake === undefined ? Effect.void : Fiber.interrupt(side.intake)
            return Effect.zipRight(stop, transport.close?.(session, role) ?? Effect.void)
          }))),
        scope
      )))
    })

  /**
   * Waits until every frame `role` has sent is acknowledged, or fails with the give-up that
   * ended the wait: a role ends only once its last frames have arrived.
   */
  const flush = (session: string, role: string): Effect.Effect<void, TransportError> =>
    Effect.suspend(() => {
      const side = sides.get(session, role)
      if (side === undefined) return Effect.void
      const settled = () => (side.failure !== undefined ? Effect.fail(side.failure) : Effect.void)
      // First the acks the role owes: its peers may be waiting for them to end too.
      const waited = Effect.suspend(() => {
        if (side.outgoing.size === 0 || side.failure !== undefined) return settled()
        return Effect.zipRight(Effect.async<void>((resume) => void side.drained.push(() => resume(Effect.void))), Effect.suspend(settled))
      })
      return side.owedCount > 0 ? Effect.zipRight(sendOwed(side), waited) : waited
    })

  // When the layer closes, every role it still knows (lingering or not) is closed below too:
  // the linger fibers that would have done it are interrupted with the scope.
  Effect.runSync(Scope.addFinalizer(scope,
    Effect.suspend(() => {
      const known = [...sides.values()]
      sides.clear()
      return Effect.forEach(known, (side) => {
        side.outgoing.clear()
        side.detach?.()
        const stop = side.intake === undefined ? Effect.void : Fiber.interrupt(side.intake)
        return Effect.zipRight(stop, transport.close?.(side.session, side.role) ?? Effect.void)
      }, { discard: true })
    })
  ))

  const service: TransportService = { serialises: transport.serialises, send, receive, open, close, flush }
  if (tap !== undefined) {
    // `send` is `Effect.suspend(() => sendAtOnce(e) ?? Effect.void)`, and `receive` the `take` of `inbox(…)`.
    const sendAtOnce = (e: Envelope) => sendFrom(sideNow(e.session, e.from), e)
    registerSynchronousSend(service, sendAtOnce)
    registerInbox(service, inbox)
  }
  return service
}

/**
 * The reliable layer over the `Transport` it is given.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Memory, Protocol, Reliable, Role, Session } from "quadrille"
 * import { Chaos } from "quadrille/testing"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const roles = {
 *   Client: Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   Server: Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 * }
 *
 * // A tenth of the frames lost on the way, and the reliable layer above to make up for it.
 * const network = Layer.provide(Reliable.layer(), Layer.provide(Chaos.layer({ seed: 1, drop: 0.1 }), Memory.layer))
 * const program = Session.run(PingPong, roles).pipe(Effect.provide(network))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: ReliableOptions = {}): Layer.Layer<Transport, never, Transport> => wrapperLayer(wrap, options)
