/**
 * Quadrille on Node: transports that leave the process. Node-only; the main entry point
 * (`quadrille`) does not load this.
 *
 * - `FileStorage`: checkpoints in files, written atomically (write, fsync, rename).
 * - `Redis`: an ioredis client wrapped in Effect, `Storage` on it, and the Redis Streams
 *   transport, which commits each step of a durable role (`Role.resume`) in one `MULTI`.
 * - `Tcp`: roles in separate processes or hosts, over TCP, each connection authenticated by
 *   an HMAC challenge–response on a key per pair of roles.
 *
 * @since 0.1.0
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { Tcp } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 *
 * // The Client's process; the Server's runs the same with self: "Server" and its own address.
 * const program = Role.run(PingPong, "Client", client, { sessionId: "s1" }).pipe(
 *   Effect.provide(Tcp.layer({
 *     self: "Client",
 *     listen: { port: 4100 },
 *     peers: { Server: "127.0.0.1:4101" },
 *     auth: { keys: { Server: process.env.KEY_CLIENT_SERVER! } }
 *   }))
 * )
 * ```
 */
export * as Tcp from "../handlers/tcp.js"
/**
 * `Storage` in files, written atomically.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { FileStorage, Tcp } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, {
 *   state: Schema.Number
 * })
 *
 * // The Server in its own process, over TCP, its checkpoints in files: run again after a crash, it goes on.
 * const program = Role.resume(PingPong, "Server", server, { sessionId: "s1" }).pipe(
 *   Effect.provide(Layer.merge(
 *     Tcp.layer({ self: "Server", listen: { port: 4101 }, peers: { Client: "127.0.0.1:4100" }, auth: { secret: process.env.PINGPONG_SECRET! } }),
 *     FileStorage.layer({ directory: "/var/lib/pingpong/checkpoints" })
 *   ))
 * )
 * ```
 *
 * @since 0.1.0
 */
export * as FileStorage from "../handlers/file-storage.js"
/**
 * Redis: the client, `Storage` on it, and the Streams transport of durable roles.
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
export * as Redis from "../handlers/redis-index.js"
