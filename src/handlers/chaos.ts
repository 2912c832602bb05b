/**
 * The chaos layer: wraps any `Transport` and, driven by a seed, loses, duplicates, delays and
 * reorders frames, and cuts named groups of roles off from each other for a while.
 *
 * Time comes from Effect's `Clock`: on the simulator it is virtual, under `TestClock` tests
 * move it, elsewhere it is the wall clock. Every drop and duplicate is recorded in the
 * `TraceSink` when there is one.
 *
 * @since 0.1.0
 */
import { type Clock, Duration, Effect, type Layer, type Scope } from "effect"
import { PCGRandom } from "effect/Utils"
import type { TraceSinkService } from "../effects/TraceSink.js"
import type { Envelope, Transport, TransportService } from "../effects/Transport.js"
import { wrapper, wrapperLayer } from "./wrapper.js"

/**
 * A partition: while it lasts, no frame passes between a role of one side and a role of the
 * other (in either direction); frames within a side pass.
 *
 * @example
 * ```ts
 * import { Chaos } from "quadrille/testing"
 *
 * // The Client cut off from the Server from 100 ms to 2 s after the first frame.
 * const split: Chaos.Partition = { between: [["Client"], ["Server"]], from: "100 millis", until: "2 seconds" }
 * const chaos = Chaos.layer({ seed: 7, partitions: [split] })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Partition {
  readonly between: readonly [ReadonlyArray<string>, ReadonlyArray<string>]
  /** When the partition starts, from the first frame through the layer (default: at once). */
  readonly from?: Duration.DurationInput | undefined
  /**
   * When it heals, from the first frame through the layer. A frame is lost if it is sent, or
   * (delayed) would arrive, while the partition lasts.
   */
  readonly until: Duration.DurationInput
}

/**
 * What the chaos layer does to frames. Rates are probabilities from 0 to 1, drawn per frame.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { type Chaos, simulate } from "quadrille/testing"
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
 * const faults: Chaos.ChaosOptions = {
 *   seed: 7,
 *   drop: 0.1,
 *   duplicate: 0.05,
 *   delay: { min: "1 millis", max: "20 millis" },
 *   reorder: 0.1
 * }
 * const program = simulate(PingPong, roles, { seed: 1, chaos: faults, reliable: true })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ChaosOptions {
  /** The seed of every random decision (a 32-bit integer). */
  readonly seed: number
  /** The probability that a frame is lost. */
  readonly drop?: number | undefined
  /** The probability that a frame is delivered twice. */
  readonly duplicate?: number | undefined
  /**
   * Each frame (each copy) is delayed by a time drawn uniformly from `min` to `max`. Frames
   * of one link (sender, receiver, lane) keep their order unless `reorder` says otherwise.
   */
  readonly delay?: { readonly min: Duration.DurationInput; readonly max: Duration.DurationInput } | undefined
  /**
   * The probability that a frame leaves its link's order: it is delayed on its own (by the
   * `delay` range, or up to 10 ms without one), so that later frames may overtake it.
   */
  readonly reorder?: number | undefined
  /** Groups of roles cut off from each other for a while. */
  readonly partitions?: ReadonlyArray<Partition> | undefined
}

interface Scheduled {
  readonly at: number
  readonly envelope: Envelope
}

const millis = (d: Duration.DurationInput): number => Duration.toMillis(Duration.decode(d))

const checkRate = (name: string, rate: number | undefined): number => {
  const r = rate ?? 0
  if (!(r >= 0 && r <= 1)) throw new RangeError(`Chaos: ${name} must be a probability from 0 to 1, got ${rate}`)
  return r
}

/**
 * Wraps `transport` in chaos. Delayed frames are sent by fibers forked in the scope; closing
 * it drops the frames still delayed.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role, Session, Transport } from "quadrille"
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
 * const program = Effect.scoped(Effect.gen(function*() {
 *   // Delayed frames are sent by fibers of this scope.
 *   const transport = yield* Chaos.wrap(Memory.unsafeMake(), { seed: 3, delay: { min: 0, max: "10 millis" } })
 *   return yield* Session.run(PingPong, roles).pipe(Effect.provideService(Transport, transport))
 * }))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const wrap: (transport: TransportService, options: ChaosOptions) => Effect.Effect<TransportService, never, Scope.Scope> =
  wrapper((transport, options, scope, sink) => unsafeWrap(transport, options, scope, sink))

const unsafeWrap = (
  transport: TransportService,
  options: ChaosOptions,
  scope: Scope.Scope,
  sink: TraceSinkService | undefined
): TransportService => {
  const rng = new PCGRandom(options.seed | 0)
  const drop = checkRate("drop", options.drop)
  const duplicate = checkRate("duplicate", options.duplicate)
  const reorder = checkRate("reorder", options.reorder)
  const delay = options.delay === undefined ? undefined : { min: millis(options.delay.min), max: millis(options.delay.max) }
  if (delay !== undefined && !(delay.min >= 0 && delay.max >= delay.min && Number.isFinite(delay.max))) {
    throw new RangeError(`Chaos: delay must have 0 <= min <= max < infinity, got ${delay.min} and ${delay.max} ms`)
  }
  const partitions = (options.partitions ?? []).map((p) => {
    const from = p.from === undefined ? 0 : millis(p.from)
    const until = millis(p.until)
    if (p.between[0].length === 0 || p.between[1].length === 0 || p.between[0].some((r) => p.between[1].includes(r))) {
      throw new RangeError(`Chaos: a partition needs two sides with roles, none on both: got [${p.between[0].join(", ")}] and [${p.between[1].join(", ")}]`)
    }
    if (!(from >= 0 && until >= from)) throw new RangeError(`Chaos: a partition must heal after it starts, got from ${from} until ${until} ms`)
    return { a: new Set(p.between[0]), b: new Set(p.between[1]), from, until }
  })
  /** The time of the first frame: partitions are timed from it. */
  let origin: number | undefined = undefined
  /** Frames delayed in order, by link, and when each is due. */
  const links = new Map<string, Array<Scheduled>>()

  const record = (tag: "Drop" | "Duplicate", e: Envelope, reason?: string) => {
    sink?.record({
      _tag: tag,
      session: e.session,
      role: e.from,
      peer: e.to,
      label: e.label,
      site: e.site,
      lane: e.lane,
      seq: e.seq,
      reason
    })
  }

  const partitioned = (e: Envelope, elapsed: number): boolean =>
    partitions.some((p) =>
      elapsed >= p.from && elapsed < p.until &&
      ((p.a.has(e.from) && p.b.has(e.to)) || (p.b.has(e.from) && p.a.has(e.to)))
    )

  /**
   * Sends a frame that was delayed, unless a partition has started meanwhile; one that cannot
   * be sent after all is as good as dropped.
   */
  const forward = (e: Envelope) =>
    Effect.clockWith((clock) => {
      if (partitions.length > 0 && origin !== undefined && partitioned(e, clock.unsafeCurrentTimeMillis() - origin)) {
        return Effect.sync(() => record("Drop", e, "partition"))
      }
      return Effect.catchAll(transport.send(e), () => Effect.sync(() => record("Drop", e, "transport")))
    })

  /** A delay in whole milliseconds, from the range. */
  const draw = (): number => (delay === undefined ? 0 : Math.round(delay.min + rng.number() * (delay.max - delay.min)))

  /** Sends a copy of `e`, delayed (and reordered) as the dice say. */
  const sendCopy = (clock: Clock.Clock, e: Envelope): Effect.Effect<void> => {
    const now = clock.unsafeCurrentTimeMillis()
    if (reorder > 0 && rng.number() < reorder) {
      // Out of the link's order: on its own timer.
      const wait = delay === undefined ? Math.round(rng.number() * 10) : draw()
      return Effect.asVoid(Effect.forkIn(Effect.interruptible(Effect.zipRight(Effect.sleep(wait), forward(e))), scope))
    }
    const key = `${e.session}\u0000${e.from}\u0000${e.to}\u0000${e.lane ?? ""}`
    const queue = links.get(key)
    const wait = draw()
    if (wait === 0 && (queue === undefined || queue.length === 0)) {
      return Effect.catchAll(transport.send(e), () => Effect.sync(() => record("Drop", e, "transport")))
    }
    const at = Math.max(now + wait, queue !== undefined && queue.length > 0 ? queue[queue.length - 1].at : 0)
    const q = queue ?? []
    if (queue === undefined) links.set(key, q)
    const entry: Scheduled = { at, envelope: e }
    q.push(entry)
    // When due, send this frame and those queued before it (due no later), in order.
    const flush = Effect.suspend(() => {
      const i = q.indexOf(entry)
      if (i < 0) return Effect.void
      const due = q.splice(0, i + 1)
      if (q.length === 0) links.delete(key)
      return Effect.forEach(due, (s) => forward(s.envelope), { discard: true })
    })
    return Effect.asVoid(Effect.forkIn(Effect.interruptible(Effect.zipRight(Effect.sleep(at - now), flush)), scope))
  }

  return {
    serialises: transport.serialises,
    receive: transport.receive,
    open: transport.open,
    close: transport.close,
    flush: transport.flush,
    send: (e) =>
      Effect.clockWith((clock) => {
        const now = clock.unsafeCurrentTimeMillis()
        if (origin === undefined) origin = now
        if (partitions.length > 0 && partitioned(e, now - origin)) {
          record("Drop", e, "partition")
          return Effect.void
        }
        if (drop > 0 && rng.number() < drop) {
          record("Drop", e, "chaos")
          return Effect.void
        }
        if (duplicate > 0 && rng.number() < duplicate) {
          record("Duplicate", e)
          return Effect.zipRight(sendCopy(clock, e), sendCopy(clock, e))
        }
        return sendCopy(clock, e)
      })
  }
}

/**
 * The chaos layer over the `Transport` it is given.
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
 * // Chaos between the roles, and the reliable layer above it to make up for it.
 * const chaos = Chaos.layer({ seed: 1, drop: 0.1, duplicate: 0.05, delay: { min: 0, max: "20 millis" } })
 * const network = Layer.provide(Reliable.layer(), Layer.provide(chaos, Memory.layer))
 * const program = Session.run(PingPong, roles).pipe(Effect.provide(network))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: ChaosOptions): Layer.Layer<Transport, never, Transport> => wrapperLayer(wrap, options)
