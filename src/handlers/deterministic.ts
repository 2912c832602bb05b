/**
 * The deterministic network: every role of a session in one process, on a simulated network
 * whose every choice comes from one seed.
 *
 * A simulator owns three things the session runs on:
 *
 * - a **scheduler** (Effect's `Scheduler`): fibers run one task at a time, in a single FIFO, so
 *   the interleaving of the roles' fibers is a function of the program alone;
 * - a **network** (the `Transport`): a sent frame is not delivered at once but waits, with the
 *   others in flight, on its link (sender, receiver, lane; first in, first out). Only when
 *   every fiber is blocked does the network deliver a frame: the head of one link, picked by
 *   a seeded PRNG. So which pending message is delivered next is the seed's choice, and the
 *   same seed gives the same run, event for event;
 * - a **virtual clock** (Effect's `Clock`): sleeps (timeouts, retransmission schedules, the
 *   chaos layer's delays) wait for virtual time, which jumps to the next timer when nothing
 *   else can happen. A simulated minute takes no real time.
 *
 * When nothing can happen any more (no fiber runs, no frame is in flight, no timer is set,
 * and nothing has come from outside for a short grace period of real time) while some role
 * still waits for a frame, the session is deadlocked: the network fails those receives with a
 * `TransportError` that says so, rather than leaving them hanging. When no role waits for a
 * frame either, `run` fails with `SimulationStalled`.
 *
 * Handlers should not wait on the world outside the simulation (real I/O, real timers,
 * Promises settled by other threads): the simulator cannot see that work. While such work is
 * pending and nothing else can happen, virtual time still jumps to the next timer (a receive
 * timeout may fire); only deadlocks and stalls wait for the grace period. Promises settled by
 * microtasks are fine.
 *
 * @since 0.1.0
 */
import { Clock, Data, Duration, Effect, FiberRef, Layer, Random, Scheduler } from "effect"
import type { RuntimeFiber } from "effect/Fiber"
import { PCGRandom } from "effect/Utils"
import { TransportError } from "../effects/errors.js"
import { type Envelope, Transport, type TransportService } from "../effects/Transport.js"
import type { TraceSinkService } from "../effects/TraceSink.js"
import { type Mailbox, Mailboxes, openRole } from "./mailbox.js"

/**
 * The simulation could not go on and nothing it can see would ever change that: no fiber can
 * run, no frame is in flight, no timer is set and no role waits for a frame (something waits on
 * a `Deferred` nobody completes, or on the world outside the simulation).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { simulate } from "quadrille/testing"
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
 * const program = Effect.gen(function*() {
 *   const sim = yield* simulate(PingPong, roles, { seed: 1 })
 *   return yield* sim.exit.pipe(
 *     Effect.catchTag("SimulationStalled", (e) => Effect.dieMessage(`stalled at ${e.time} ms of virtual time; rerun with seed ${e.seed}`))
 *   )
 * })
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class SimulationStalled extends Data.TaggedError("SimulationStalled")<{
  readonly seed: number
  /** The virtual time, in milliseconds. */
  readonly time: number
  readonly message: string
}> {}

/**
 * Options of the simulator.
 *
 * @example
 * ```ts
 * import { Deterministic } from "quadrille/testing"
 *
 * // Handlers that wait on a worker thread: give the world outside more time before a deadlock is called.
 * const options: Deterministic.SimulatorOptions = { seed: 42, grace: "200 millis" }
 * const simulator = Deterministic.unsafeMake(options)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface SimulatorOptions {
  /** The seed of every choice the network makes (a 32-bit integer; other numbers are truncated). */
  readonly seed: number
  /**
   * When nothing can happen in the simulation, how long (real time) to wait for the world
   * outside it (a Promise settled by another thread) before declaring a deadlock or a stall.
   * Default: 20 ms.
   */
  readonly grace?: Duration.DurationInput | undefined
  /** Where to record the frames the network's mailboxes drop (for roles that have ended, or left unread). */
  readonly sink?: TraceSinkService | undefined
}

/**
 * A simulator: the scheduler, virtual clock and deterministic network a simulated session
 * runs on. Run an effect on it with `Simulator.run`, or provide `layer`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import { Deterministic } from "quadrille/testing"
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
 * const program = Effect.gen(function*() {
 *   const simulator: Deterministic.Simulator = yield* Deterministic.make({ seed: 42 })
 *   const results = yield* simulator.run(Session.run(PingPong, roles))
 *   return { results, virtualMillis: simulator.now(), delivered: simulator.delivered() } // delivered: 2
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Simulator {
  readonly seed: number
  readonly transport: TransportService
  readonly scheduler: Scheduler.Scheduler
  readonly clock: Clock.Clock
  /** The virtual time, in milliseconds from 0. */
  readonly now: () => number
  /** How many frames the network has delivered. */
  readonly delivered: () => number
  /**
   * Runs `effect` on this simulator: its scheduler, clock, network and a Random seeded from
   * the seed. Fails with `SimulationStalled` if the simulation stalls before `effect` ends.
   */
  readonly run: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SimulationStalled, Exclude<R, Transport>>
}

/** A timer of the virtual clock. */
interface Timer {
  readonly at: number
  readonly n: number
  readonly wake: () => void
}

/**
 * Effect's `Clock` on virtual time: `sleep` sets a timer that fires when the simulator, having
 * nothing else to do, moves time on to it.
 */
class VirtualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  now = 0
  private made = 0
  /** Pending timers, earliest first (ties in the order set). */
  readonly timers: Array<Timer> = []

  unsafeCurrentTimeMillis(): number {
    return this.now
  }
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.now)
  unsafeCurrentTimeNanos(): bigint {
    return BigInt(Math.round(this.now * 1_000_000))
  }
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.unsafeCurrentTimeNanos())

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const ms = Duration.toMillis(duration)
      if (!Number.isFinite(ms)) return
      const timer: Timer = { at: this.now + Math.max(0, ms), n: this.made++, wake: () => resume(Effect.void) }
      // Insert in order: after every timer due at the same time or earlier.
      let i = this.timers.length
      while (i > 0 && this.timers[i - 1].at > timer.at) i--
      this.timers.splice(i, 0, timer)
      return Effect.sync(() => {
        const j = this.timers.indexOf(timer)
        if (j >= 0) this.timers.splice(j, 1)
      })
    })
  }

  /** Moves time on to the earliest timer and fires every timer due then; false when there is none. */
  advance(): boolean {
    if (this.timers.length === 0) return false
    this.now = Math.max(this.now, this.timers[0].at)
    const due: Array<Timer> = []
    while (this.timers.length > 0 && this.timers[0].at <= this.now) due.push(this.timers.shift()!)
    for (const t of due) t.wake()
    return true
  }
}

/**
 * Effect's `Scheduler` for a simulation: one FIFO of tasks (by priority), drained in a
 * macrotask. When it is empty and stays empty once microtasks have run, `idle` is asked to
 * make something happen (deliver a frame, fire a timer). When it cannot, and nothing else
 * happens for `grace` ms of real time either, `stuck` is called.
 */
class SimulationScheduler implements Scheduler.Scheduler {
  private readonly tasks = new Scheduler.PriorityBuckets()
  private drainScheduled = false
  private idleScheduled = false
  /** How many drains ran: a stuck check that sees it unchanged knows nothing happened meanwhile. */
  private drains = 0
  private graceTimer: ReturnType<typeof setTimeout> | undefined = undefined
  /** Set once the effect a simulator runs has ended: nothing is left to watch over. */
  finished = false

  constructor(
    private readonly idle: () => boolean,
    private readonly stuck: () => void,
    private readonly grace: number
  ) {}

  shouldYield(fiber: RuntimeFiber<unknown, unknown>): number | false {
    return fiber.currentOpCount > fiber.getFiberRef(FiberRef.currentMaxOpsBeforeYield)
      ? fiber.getFiberRef(FiberRef.currentSchedulingPriority)
      : false
  }

  scheduleTask(task: Scheduler.Task, priority: number): void {
    this.tasks.scheduleTask(task, priority)
    if (!this.drainScheduled) {
      this.drainScheduled = true
      setImmediate(this.drain)
    }
  }

  private readonly drain = (): void => {
    this.drainScheduled = false
    this.drains++
    // Run tasks (and those they schedule) for a while, then let the event loop breathe.
    for (let ran = 0; this.tasks.buckets.length > 0 && ran < 100_000;) {
      const buckets = this.tasks.buckets
      this.tasks.buckets = []
      for (const [, list] of buckets) {
        for (let i = 0; i < list.length; i++) list[i]()
        ran += list.length
      }
    }
    if (this.tasks.buckets.length > 0) {
      if (!this.drainScheduled) {
        this.drainScheduled = true
        setImmediate(this.drain)
      }
    } else if (!this.idleScheduled) {
      // Quiet: once pending microtasks have run too, the roles are blocked.
      this.idleScheduled = true
      setImmediate(this.onIdle)
    }
  }

  private readonly onIdle = (): void => {
    this.idleScheduled = false
    if (this.drainScheduled) return
    // Make something happen, and run what it wakes here and now (a delivery to a role that
    // is not waiting wakes nobody: go on).
    this.drainScheduled = true
    while (this.tasks.buckets.length === 0) {
      if (!this.idle()) {
        this.drainScheduled = false
        this.waitForTheWorld()
        return
      }
    }
    this.drain()
  }

  /** Nothing can happen here: give the world outside `grace` ms, then call it stuck. */
  private waitForTheWorld(): void {
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer)
    this.graceTimer = undefined
    if (this.finished) return
    const drains = this.drains
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined
      if (this.drains === drains && this.tasks.buckets.length === 0 && !this.drainScheduled) this.stuck()
    }, this.grace)
  }
}

/**
 * A new simulator (synchronous).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import { Deterministic } from "quadrille/testing"
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
 * const simulator = Deterministic.unsafeMake({ seed: 42 })
 * Effect.runPromise(simulator.run(Session.run(PingPong, roles))).then((results) => console.log(results, simulator.delivered()))
 * // { Client: 2, Server: 1 } 2
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const unsafeMake = (options: SimulatorOptions): Simulator => {
  const seed = options.seed | 0
  const rng = new PCGRandom(seed)
  const clock = new VirtualClock()
  const sink = options.sink
  const boxes = new Mailboxes(sink === undefined ? undefined : (e, reason) =>
    sink.record({ _tag: "Drop", session: e.session, role: e.from, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason }))
  /** Frames in flight, by link (session, sender, receiver, mailbox), oldest first. */
  const links = new Map<string, Array<Envelope>>()
  /** The links with frames in flight, in the order they became busy. */
  const busy: Array<string> = []
  /** How many receivers wait on each mailbox now (an interrupted one no longer counts). */
  const waiting = new Map<Mailbox, { n: number; readonly session: string; readonly role: string; readonly name: string }>()
  let delivered = 0

  const send = (e: Envelope): void => {
    const key = `${e.session}\u0000${e.from}\u0000${e.to}\u0000${e.mailbox ?? e.lane ?? ""}`
    let link = links.get(key)
    if (link === undefined) {
      link = []
      links.set(key, link)
    }
    if (link.length === 0) busy.push(key)
    link.push(e)
  }

  /** Delivers the head of a link the PRNG picks; false when nothing is in flight. */
  const deliver = (): boolean => {
    if (busy.length === 0) return false
    const i = busy.length === 1 ? 0 : rng.integer(busy.length)
    const key = busy[i]
    const link = links.get(key)!
    const e = link.shift()!
    if (link.length === 0) {
      busy.splice(i, 1)
      links.delete(key)
    }
    delivered++
    boxes.deliver(e)
    return true
  }

  const receive = (session: string, role: string, name?: string) => {
    const box = boxes.get(session, role, name)
    let w = waiting.get(box)
    if (w === undefined) {
      w = { n: 0, session, role, name: name ?? "" }
      waiting.set(box, w)
    }
    const count = w
    const wait = Effect.ensuring(
      Effect.zipRight(Effect.sync(() => count.n++), box.take),
      Effect.sync(() => count.n--)
    )
    return Effect.suspend(() => (box.size > 0 ? box.take : wait))
  }

  /** The mailboxes receivers wait on now. */
  const waiters = () =>
    [...waiting].filter(([, w]) => w.n > 0).map(([box, w]) => ({ box, ...w }))

  let onStall: ((error: SimulationStalled) => void) | undefined = undefined

  /** Nothing can happen: fail the receives that wait (a deadlock), or else report a stall. */
  const stuck = (): void => {
    const blocked = waiters()
    if (blocked.length > 0) {
      const who = [...new Set(blocked.map((w) => (w.name === "" || w.name.startsWith("~") ? w.role : `${w.role} (lane ${w.name})`)))]
      for (const w of blocked) {
        w.box.fail(
          new TransportError({
            role: w.role,
            peer: "",
            message: `simulated network (seed ${seed}): deadlock at ${clock.now} ms — no frame is in flight, no timer is set, and ${who.join(", ")} wait${who.length === 1 ? "s" : ""} for a frame that can never come`
          })
        )
      }
      return
    }
    onStall?.(
      new SimulationStalled({
        seed,
        time: clock.now,
        message: `simulation (seed ${seed}) stalled at ${clock.now} ms: no fiber can run, no frame is in flight, no timer is set and no role waits for a frame — something waits on what the simulation cannot see (a Deferred nobody completes, or the world outside)`
      })
    )
  }

  const grace = options.grace === undefined ? 20 : Duration.toMillis(Duration.decode(options.grace))
  const scheduler = new SimulationScheduler(() => deliver() || clock.advance(), stuck, grace)

  const transport: TransportService = {
    serialises: false,
    send: (e) => Effect.sync(() => send(e)),
    receive,
    open: (session, role, roles) => openRole(boxes, session, role, roles),
    close: (session, role) =>
      Effect.sync(() => {
        for (const [box, w] of waiting) if (w.session === session && w.role === role && w.n === 0) waiting.delete(box)
        boxes.release(session, role)
      }),
    detach: (session, role, uncommitted) => Effect.sync(() => boxes.unread(session, role, uncommitted))
  }

  const stalled: Effect.Effect<never, SimulationStalled> = Effect.async<never, SimulationStalled>((resume) => {
    onStall = (error) => resume(Effect.fail(error))
    return Effect.sync(() => {
      onStall = undefined
    })
  })

  const random = Random.make(seed)
  return {
    seed,
    transport,
    scheduler,
    clock,
    now: () => clock.now,
    delivered: () => delivered,
    run: (effect) =>
      // Disconnected: a stall inside an uninterruptible region must not hold the race up.
      Effect.raceFirst(Effect.disconnect(effect), stalled).pipe(
        Effect.ensuring(Effect.sync(() => {
          scheduler.finished = true
        })),
        Effect.provideService(Transport, transport),
        Effect.withRandom(random),
        Effect.withClock(clock),
        Effect.withScheduler(scheduler)
      )
  }
}

/**
 * A new simulator.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import { Deterministic } from "quadrille/testing"
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
 * // The same seed, the same run: here twice over.
 * const program = Effect.gen(function*() {
 *   const a = yield* Deterministic.make({ seed: 7 })
 *   const b = yield* Deterministic.make({ seed: 7 })
 *   return [yield* a.run(Session.run(PingPong, roles)), yield* b.run(Session.run(PingPong, roles))]
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: SimulatorOptions): Effect.Effect<Simulator> => Effect.sync(() => unsafeMake(options))

/**
 * A fresh simulator as layers: the deterministic network as the `Transport`, its scheduler,
 * its virtual clock and a `Random` seeded from the seed, for the effect it is provided to.
 * Deadlocks are reported as with `run`, but a stall is not (there is no effect to fail):
 * prefer `simulate`, `simulateEffect` or `Simulator.run`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import { Deterministic } from "quadrille/testing"
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
 * const program = Session.run(PingPong, roles).pipe(Effect.provide(Deterministic.layer({ seed: 7 })))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: SimulatorOptions): Layer.Layer<Transport> =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      const sim = unsafeMake(options)
      return Layer.mergeAll(
        Layer.succeed(Transport, sim.transport),
        Layer.setScheduler(sim.scheduler),
        Layer.setClock(sim.clock),
        Layer.setRandom(Random.make(sim.seed))
      )
    })
  )
