/**
 * `quadrille/promise`: running sessions without writing Effect code. `Session.runPromise` and
 * `Role.runPromise` return a `Promise` of the results; a failed run rejects with the tagged
 * error itself (`error._tag` is `"PeerFailed"`, `"Timeout"`, a handler's own...). Protocols
 * and generated implementations (`Protocol.make`, `Role.implement` with handlers that return
 * plain values) are the same as in `quadrille`.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol, Role } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * assert.strictEqual(Protocol.formatLocal(Protocol.project(PingPong, "B")), "Recv(A, Ping).Send(A, Pong).End")
 * ```
 */
export * as Protocol from "../protocol/index.js"
/**
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Memory, Protocol, Role } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const transport = Memory.unsafeMake()
 * const results = await Promise.all([
 *   Role.runPromise(PingPong, "A", ping, { sessionId: "s-1", transport }),
 *   Role.runPromise(PingPong, "B", pong, { sessionId: "s-1", transport })
 * ])
 * assert.deepStrictEqual(results, [2, 1])
 * ```
 *
 * @since 0.1.0
 */
export * as Role from "./Role.js"
/**
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * assert.deepStrictEqual(await Session.runPromise(PingPong, { A: ping, B: pong }), { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export * as Session from "./Session.js"
/**
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Memory, Protocol, Role, Session } from "quadrille/promise"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * // One in-memory transport shared by the roles run in this process.
 * const transport = Memory.unsafeMake()
 * assert.deepStrictEqual(await Session.runPromise(PingPong, { A: ping, B: pong }, { transport }), { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export * as Memory from "../handlers/memory.js"
/**
 * @since 0.1.0
 */
export * from "../effects/errors.js"
export type {
  /** @since 0.1.0 */
  RunPromiseOptions
} from "./run.js"
