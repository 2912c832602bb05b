/**
 * Redis for Quadrille (Node only; `quadrille/node`): a client wrapped in Effect, and `Storage`
 * on it. (The Redis Streams transport will use the same client.)
 *
 * - **The client.** `ioredis` 5, made and closed in a scope (`acquireRelease`: `QUIT`, or a
 *   disconnect when the server is gone). Every command is an Effect failing with a tagged
 *   `RedisError`; one that fails because the connection is down is tried again on the `retry`
 *   `Schedule` (20 ms doubling to 1 s, for 30 s at most), while ioredis reconnects underneath.
 *   Commands retried this way must be idempotent (the storage's are: `GET`, `SET`, `DEL`).
 * - **Storage.** A checkpoint is a string under its key (`Storage.checkpointKey`, whose
 *   `{session}` hash tag keeps one session's keys in one slot of a Redis Cluster). `SET`
 *   replaces a value whole. How durable a write is depends on the server's `appendfsync`
 *   (`always`: on disk before Redis answers; `everysec`: up to a second may be lost on a crash
 *   of the machine).
 *
 * @since 0.1.0
 */
import { Context, Data, Duration, Effect, Layer, Option, Schedule, type Scope } from "effect"
import { Redis as IORedis, type RedisOptions } from "ioredis"
import { Storage, StorageError, type StorageService } from "../effects/Storage.js"
import { clip } from "../internal/bounded.js"

/**
 * A Redis command failed (after its retries, when the connection was down).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis } from "quadrille/node"
 *
 * const keys = Effect.flatMap(Redis.RedisClient, (redis) => redis.run("DBSIZE", (c) => c.dbsize())).pipe(
 *   Effect.catchTag("RedisError", (e) => Effect.logError(`${e.command}: ${e.message}`)),
 *   Effect.provide(Redis.clientLayer({ url: "redis://127.0.0.1:6379" }))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class RedisError extends Data.TaggedError("RedisError")<{
  readonly command: string
  readonly message: string
}> {}

/**
 * Options of the client.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { Redis } from "quadrille/node"
 *
 * const options: Redis.RedisClientOptions = {
 *   url: "redis://redis.internal:6379/2",
 *   options: { connectionName: "pingpong-server" },
 *   // Commands whose connection was down: tried again every 100 ms for 10 s.
 *   retry: Schedule.spaced("100 millis").pipe(Schedule.upTo("10 seconds"))
 * }
 * const client = Redis.clientLayer(options)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisClientOptions {
  /** `redis://host:port/db` (default `redis://127.0.0.1:6379`). */
  readonly url?: string | undefined
  /** ioredis options, over the url's. */
  readonly options?: RedisOptions | undefined
  /** When to try a command again whose connection was down (default: 20 ms doubling to 1 s, for 30 s). */
  readonly retry?: Schedule.Schedule<unknown, RedisError> | undefined
}

/**
 * A Redis client: `run(name, f)` runs one command (or a `MULTI`) on the ioredis client.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis } from "quadrille/node"
 *
 * // A command of your own, with the client's retries and its tagged errors.
 * const pending = (redis: Redis.RedisClientService, session: string, role: string) =>
 *   redis.run("XPENDING", (c) => c.xpending(Redis.streamKey(session, role), Redis.group))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisClientService {
  readonly client: IORedis
  readonly run: <A>(command: string, f: (client: IORedis) => Promise<A>) => Effect.Effect<A, RedisError>
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis } from "quadrille/node"
 *
 * const size = Effect.flatMap(Redis.RedisClient, (redis) => redis.run("DBSIZE", (c) => c.dbsize()))
 * const program = size.pipe(Effect.provide(Redis.clientLayer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class RedisClient extends Context.Tag("quadrille/RedisClient")<RedisClient, RedisClientService>() {}

/**
 * The default retry schedule of commands whose connection was down.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { Redis } from "quadrille/node"
 *
 * // The default's delays, but give up after 5 s rather than 30 s.
 * const client = Redis.clientLayer({ retry: Redis.defaultRetry.pipe(Schedule.upTo("5 seconds")) })
 * ```
 *
 * @since 0.1.0
 */
export const defaultRetry: Schedule.Schedule<unknown, RedisError> = Schedule.exponential(Duration.millis(20)).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(1))),
  Schedule.upTo(Duration.seconds(30))
)

/**
 * Errors that say the connection was down, not that the command was wrong.
 *
 * @example
 * ```ts
 * import { Redis } from "quadrille/node"
 *
 * Redis.isConnectionProblem(new Error("connect ECONNREFUSED 127.0.0.1:6379")) // true
 * Redis.isConnectionProblem(new Error("WRONGTYPE Operation against a key holding the wrong kind of value")) // false
 * ```
 *
 * @since 0.1.0
 */
export const isConnectionProblem = (e: unknown): boolean => {
  const text = e instanceof Error ? `${e.name} ${e.message}` : String(e)
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|MaxRetriesPerRequest|Stream isn't writeable|LOADING|connect/i.test(text)
}

/**
 * A client in a scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis } from "quadrille/node"
 *
 * // The client lives as long as the scope: QUIT when it closes.
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const redis = yield* Redis.makeClient({ url: "redis://127.0.0.1:6379" })
 *   return yield* redis.run("PING", (c) => c.ping())
 * }))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeClient = (options: RedisClientOptions = {}): Effect.Effect<RedisClientService, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() =>
        new IORedis(options.url ?? "redis://127.0.0.1:6379", {
          // Commands fail fast while the connection is down; `run` tries them again on its Schedule.
          maxRetriesPerRequest: 1,
          retryStrategy: (times) => Math.min(20 * 2 ** Math.min(times, 10), 1000),
          ...options.options
        })
      ),
      (client) =>
        Effect.promise(() =>
          client.status === "ready"
            ? client.quit().then(() => undefined, () => client.disconnect())
            : Promise.resolve(client.disconnect())
        )
    ),
    (client): RedisClientService => {
      // An error event with no listener would be thrown by Node; the commands report it.
      client.on("error", () => {})
      const retry = options.retry ?? defaultRetry
      return {
        client,
        run: <A>(command: string, f: (client: IORedis) => Promise<A>) =>
          Effect.tryPromise({
            try: () => f(client),
            catch: (e) => new RedisError({ command, message: `${command} failed: ${clip(e instanceof Error ? e.message : String(e), 300)}` })
          }).pipe(Effect.retry({ schedule: retry, while: (e) => isConnectionProblem(e.message) }))
      }
    }
  )

/**
 * The client as a layer.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Storage } from "quadrille"
 * import { Redis } from "quadrille/node"
 *
 * // One client for Storage and for commands of your own.
 * const redis = Layer.provideMerge(Layer.effect(Storage.Storage, Redis.makeStorage), Redis.clientLayer({ url: "redis://127.0.0.1:6379" }))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const clientLayer = (options: RedisClientOptions = {}): Layer.Layer<RedisClient> => Layer.scoped(RedisClient, makeClient(options))

const storageFailure = (key: string) => (e: RedisError) => new StorageError({ key: clip(key, 200), message: e.message })

/**
 * `Storage` on the Redis client in context.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Storage } from "quadrille"
 * import { Redis } from "quadrille/node"
 *
 * const checkpoint = Effect.gen(function*() {
 *   const storage = yield* Redis.makeStorage
 *   return yield* storage.get(Storage.checkpointKey("PingPong", "s1", "Server"))
 * }).pipe(Effect.provide(Redis.clientLayer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeStorage: Effect.Effect<StorageService, never, RedisClient> = Effect.map(RedisClient, (redis): StorageService => ({
  get: (key) => Effect.mapError(Effect.map(redis.run("GET", (c) => c.get(key)), Option.fromNullable), storageFailure(key)),
  set: (key, value) => Effect.mapError(Effect.asVoid(redis.run("SET", (c) => c.set(key, value))), storageFailure(key)),
  remove: (key) => Effect.mapError(Effect.asVoid(redis.run("DEL", (c) => c.del(key))), storageFailure(key))
}))

/**
 * `Storage` on Redis, with its own client.
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
 *
 * @category layers
 * @since 0.1.0
 */
export const storageLayer = (options: RedisClientOptions = {}): Layer.Layer<Storage | RedisClient> =>
  Layer.provideMerge(Layer.effect(Storage, makeStorage), clientLayer(options))
