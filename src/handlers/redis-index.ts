/**
 * `Redis` in `quadrille/node`: the client, `Storage` on it, and the Streams transport.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { Redis, Tcp } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, {
 *   state: Schema.Number
 * })
 *
 * // Frames over TCP, checkpoints in Redis.
 * const program = Role.resume(PingPong, "Server", server, { sessionId: "s1" }).pipe(
 *   Effect.provide(Layer.merge(
 *     Tcp.layer({ self: "Server", listen: { port: 4101 }, peers: { Client: "127.0.0.1:4100" }, auth: { secret: process.env.PINGPONG_SECRET! } }),
 *     Redis.storageLayer({ url: "redis://127.0.0.1:6379" })
 *   ))
 * )
 * ```
 */
export * from "./redis.js"
/**
 * The Redis Streams transport, which commits each step of a durable role in one `MULTI`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { Redis } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, {
 *   state: Schema.Number
 * })
 *
 * // In the Server's process; the same again after a crash goes on from the last commit.
 * const program = Role.resume(PingPong, "Server", server, { sessionId: "s1" }).pipe(
 *   Effect.provide(Redis.layer({ url: "redis://127.0.0.1:6379" }))
 * )
 * ```
 *
 * @since 0.1.0
 */
export * from "./redis-transport.js"
