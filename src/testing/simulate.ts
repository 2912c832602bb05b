/**
 * `simulate`: runs a whole session on the deterministic network (see `Deterministic`), with
 * chaos and reliable delivery when asked, and returns its outcome with the trace.
 *
 * @since 0.1.0
 */
import { type Duration, Effect, type Exit, Layer } from "effect"
import type { RoleError } from "../effects/errors.js"
import { TraceSink, type TraceEvent, unsafeMakeRecorder } from "../effects/TraceSink.js"
import { Transport } from "../effects/Transport.js"
import * as Chaos from "../handlers/chaos.js"
import * as Deterministic from "../handlers/deterministic.js"
import * as Reliable from "../handlers/reliable.js"
import type { Any } from "../protocol/Protocol.js"
import type { Failure, Requirements } from "../runtime/Role.js"
import * as Session from "../runtime/Session.js"
import type { StopError } from "../runtime/stop.js"

/**
 * Options of a simulation.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { simulate, type SimulateOptions } from "quadrille/testing"
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
 * // Lossy and without the reliable layer: a lost frame ends in a Timeout after 5 s of virtual time.
 * const lossy: SimulateOptions = { seed: 9, chaos: { drop: 0.5 }, receiveTimeout: "5 seconds" }
 * const program = simulate(PingPong, roles, lossy)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface SimulateOptions {
  /** The seed of the network's choices (and, unless `chaos.seed` is given, of the chaos). */
  readonly seed: number
  /** Faults to inject between the roles. */
  readonly chaos?: Omit<Chaos.ChaosOptions, "seed"> & { readonly seed?: number | undefined } | undefined
  /** Put the reliable-delivery layer between the roles and the (chaotic) network. */
  readonly reliable?: boolean | Reliable.ReliableOptions | undefined
  /** How long a role may wait for one message (virtual time) before failing with `Timeout`. */
  readonly receiveTimeout?: Duration.DurationInput | undefined
  /** Session parameters: the number of rounds of each `repeat`. */
  readonly params?: Readonly<Record<string, number>> | undefined
  /** Decode payloads with their Schemas (default: no, as in memory). */
  readonly validate?: boolean | undefined
  /** The session id (default: drawn from the seed). */
  readonly sessionId?: string | undefined
  /** How long (real time) to wait for the world outside before calling the run deadlocked or stalled (default 20 ms). */
  readonly grace?: Duration.DurationInput | undefined
  /**
   * Stops the session when it completes (as `Session.run`'s `stop`): the run fails with
   * `Stopped`. A `Deferred` completed by a handler stops it after so many rounds. An
   * `Effect.sleep` is virtual time, which passes only with the chaos's delays (or the roles'
   * own sleeps): without them a server's messages take no time, and it never fires. The way to
   * simulate a server (a protocol with a `forever` loop).
   */
  readonly stop?: Effect.Effect<unknown> | undefined
}

/**
 * The outcome of a simulation: how the session ended (its results, or its typed failure),
 * the trace of every step and fault, the virtual time it took and the frames delivered.
 * `yield* simulation.exit` gives the results or fails as the session did.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { simulate, type Simulation } from "quadrille/testing"
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
 * // What a test prints of a run it did not expect.
 * const describe = (sim: Simulation<unknown, unknown>): string =>
 *   `seed ${sim.seed}: ${sim.exit._tag} after ${sim.time} ms, ${sim.delivered} frames, ${sim.trace.length} events`
 * const program = Effect.map(simulate(PingPong, roles, { seed: 3 }), describe)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Simulation<A, E> {
  readonly exit: Exit.Exit<A, E>
  readonly trace: ReadonlyArray<TraceEvent>
  /** The virtual time at the end, in milliseconds. */
  readonly time: number
  /** How many frames the network delivered (retransmissions and acks included). */
  readonly delivered: number
  readonly seed: number
}

/** A second seed for the chaos, from the simulation's. */
const chaosSeed = (seed: number) => Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) | 0

/**
 * The transport layers of a simulation, over the simulator's network: chaos when asked, and
 * the reliable layer above it when asked.
 */
const network = (options: SimulateOptions): Layer.Layer<Transport, never, Transport> => {
  const chaos = options.chaos === undefined
    ? undefined
    : Chaos.layer({ ...options.chaos, seed: options.chaos.seed ?? chaosSeed(options.seed) })
  const reliable = options.reliable === undefined || options.reliable === false
    ? undefined
    : Reliable.layer(options.reliable === true ? {} : options.reliable)
  const passThrough = Layer.effect(Transport, Transport)
  const lower = chaos ?? passThrough
  return reliable === undefined ? lower : Layer.provide(reliable, lower)
}

/**
 * Runs `effect` — anything that runs sessions over the `Transport` in context, such as an
 * application's `main` — on a fresh simulator, with chaos and reliable delivery as asked,
 * recording a trace. Never fails: the outcome is in `exit` (a `SimulationStalled` failure
 * when the effect waits on something the simulation cannot see).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import { simulateEffect } from "quadrille/testing"
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
 * // An application's main, which runs two sessions one after the other, simulated whole.
 * const main = Effect.gen(function*() {
 *   const first = yield* Session.run(PingPong, roles)
 *   const second = yield* Session.run(PingPong, roles)
 *   return first.Client + second.Client
 * })
 * const program = Effect.flatMap(simulateEffect(main, { seed: 5, chaos: { drop: 0.2 }, reliable: true }), (sim) => sim.exit) // 4
 * ```
 *
 * @category running
 * @since 0.1.0
 */
export const simulateEffect = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: SimulateOptions
): Effect.Effect<Simulation<A, E | Deterministic.SimulationStalled>, never, Exclude<R, Transport | TraceSink>> =>
  Effect.suspend(() => {
    let now = () => 0
    const recorder = unsafeMakeRecorder(() => now())
    const sim = Deterministic.unsafeMake({ seed: options.seed, grace: options.grace, sink: recorder })
    now = sim.now
    return sim.run(effect.pipe(Effect.provide(network(options)), Effect.provideService(TraceSink, recorder))).pipe(
      Effect.exit,
      Effect.map((exit) => ({
        exit,
        trace: recorder.events(),
        time: sim.now(),
        delivered: sim.delivered(),
        seed: sim.seed
      }))
    ) as Effect.Effect<Simulation<A, E | Deterministic.SimulationStalled>, never, Exclude<R, Transport | TraceSink>>
  })

/**
 * Runs every role of `protocol` in one process on the deterministic network: which pending
 * message is delivered next is chosen by a PRNG seeded with `seed`, so the same seed gives
 * the same trace, event for event. Optionally under chaos, over the reliable layer, with a
 * receive timeout (virtual time: a simulated minute takes no real time).
 *
 * @example
 * ```ts
 * import { Effect, Either, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { simulate, Trace } from "quadrille/testing"
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
 *   const sim = yield* simulate(PingPong, roles, {
 *     seed: 42,
 *     chaos: { drop: 0.1, duplicate: 0.05, delay: { min: 0, max: "20 millis" } },
 *     reliable: true
 *   })
 *   const results = yield* sim.exit // { Client: 2, Server: 1 }, as without faults
 *   return { results, fits: Either.isRight(Trace.validate(PingPong, sim.trace)) }
 * })
 * ```
 *
 * @category running
 * @since 0.1.0
 */
export const simulate = <P extends Any, const I extends Session.Implementations<P>, const O extends SimulateOptions = SimulateOptions>(
  protocol: P,
  implementations: I,
  options: O
): Effect.Effect<
  Simulation<Session.Results<P, I>, Failure<Session.Each<I[keyof I]>> | RoleError | StopError<O> | Deterministic.SimulationStalled>,
  never,
  Exclude<Requirements<Session.Each<I[keyof I]>>, Transport | TraceSink>
> =>
  simulateEffect(
    Session.run(protocol, implementations, {
      sessionId: options.sessionId,
      params: options.params,
      receiveTimeout: options.receiveTimeout,
      validate: options.validate,
      stop: options.stop
    }),
    options
  )
