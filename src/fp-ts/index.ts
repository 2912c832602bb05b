/**
 * `quadrille/fp-ts`: sessions for fp-ts code. `Session.runTask` and `Role.runTask` are
 * `TaskEither`s of the results (`Left`: the tagged error of the role that failed);
 * `Protocol.makeEither` answers an fp-ts `Either`. Needs `fp-ts` 2.16 (an optional peer
 * dependency). Implementations are written as in `quadrille` (`Role.implement` with
 * handlers that return plain values).
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as E from "fp-ts/lib/Either.js"
 * import { Protocol, Role } from "quadrille/fp-ts"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const result = Protocol.makeEither("Dup", { roles: ["A", "B", "A"], messages: { Ping: Schema.Number } }, (g) => g.msg("A", "B", "Ping"))
 * assert.strictEqual(E.isLeft(result) && result.left.rule, "DuplicateRole")
 * ```
 */
export * as Protocol from "./Protocol.js"
/**
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as E from "fp-ts/lib/Either.js"
 * import { Memory, Protocol, Role } from "quadrille/fp-ts"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const transport = Memory.unsafeMake()
 * const [a, b] = await Promise.all([
 *   Role.runTask(PingPong, "A", ping, { sessionId: "s-1", transport })(),
 *   Role.runTask(PingPong, "B", pong, { sessionId: "s-1", transport })()
 * ])
 * assert.deepStrictEqual([a, b], [E.right(2), E.right(1)])
 * ```
 *
 * @since 0.1.0
 */
export * as Role from "./Role.js"
/**
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as E from "fp-ts/lib/Either.js"
 * import { Protocol, Role, Session } from "quadrille/fp-ts"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * assert.deepStrictEqual(await Session.runTask(PingPong, { A: ping, B: pong })(), E.right({ A: 2, B: 1 }))
 * ```
 *
 * @since 0.1.0
 */
export * as Session from "./Session.js"
/**
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as E from "fp-ts/lib/Either.js"
 * import { Memory, Protocol, Role, Session } from "quadrille/fp-ts"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const answer = await Session.runTask(PingPong, { A: ping, B: pong }, { transport: Memory.unsafeMake() })()
 * assert.deepStrictEqual(answer, E.right({ A: 2, B: 1 }))
 * ```
 *
 * @since 0.1.0
 */
export * as Memory from "../handlers/memory.js"
/**
 * @since 0.1.0
 */
export * from "../effects/errors.js"
