/**
 * `quadrille/testing`: sessions on a simulated network (`simulate`, deterministic scheduling,
 * chaos, the reliable layer) and the oracle that checks a recorded trace against the global
 * protocol (`Trace`). It does not need fast-check: the arbitraries of protocols, ill-formed
 * protocols and fault plans for property-based tests are in `quadrille/testing/arbitrary`
 * (fast-check 4) and `quadrille/testing/arbitrary/effect` (`effect/FastCheck`).
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { Effect, Either, Schema } from "effect"
 * import { Protocol, Role, Session, TraceSink } from "quadrille"
 * import { Trace } from "quadrille/testing"
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
 *   const [, events] = yield* TraceSink.recording(Session.run(PingPong, roles))
 *   return Either.isRight(Trace.validate(PingPong, events)) // true: the run fits the protocol
 * })
 * ```
 */
export * as Trace from "./Trace.js"
export {
  /**
   * The outcome of a simulation: exit, trace, virtual time, frames delivered.
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
   * @since 0.1.0
   */
  type Simulation,
  /**
   * Runs every role of a protocol on the deterministic network, with chaos and reliable delivery when asked.
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
   * @since 0.1.0
   */
  simulate,
  /**
   * Runs any effect that runs sessions on a fresh simulator.
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
   * @since 0.1.0
   */
  simulateEffect,
  /**
   * Options of `simulate` and `simulateEffect`.
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
   * @since 0.1.0
   */
  type SimulateOptions
} from "./simulate.js"
/**
 * The deterministic network: a seeded scheduler, network and virtual clock.
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
 * @since 0.1.0
 */
export * as Deterministic from "../handlers/deterministic.js"
/**
 * The chaos layer: loses, duplicates, delays and reorders frames, and cuts roles off, by a seed.
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
 * @since 0.1.0
 */
export * as Chaos from "../handlers/chaos.js"
/**
 * The reliable-delivery layer (also in `quadrille`): acknowledgements, retransmission, de-duplication.
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
 * @since 0.1.0
 */
export * as Reliable from "../handlers/reliable.js"
