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
 * @category errors
 */
export class RedisError extends Data.TaggedError("RedisError")<{
  readonly command: string
  readonly message: string
}> {}

/**
 * Options of the client.
 *
 * @category models
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
 * @category models
 */
export interface RedisClientService {
  readonly client: IORedis
  readonly run: <A>(command: string, f: (client: IORedis) => Promise<A>) => Effect.Effect<A, RedisError>
}

/**
 * @category services
 */
export class RedisClient extends Context.Tag("quadrille/RedisClient")<RedisClient, RedisClientService>() {}

/** The default retry schedule of commands whose connection was down. */
export const defaultRetry: Schedule.Schedule<unknown, RedisError> = Schedule.exponential(Duration.millis(20)).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(1))),
  Schedule.upTo(Duration.seconds(30))
)

/** Errors that say the connection was down, not that the command was wrong. */
export const isConnectionProblem = (e: unknown): boolean => {
  const text = e instanceof Error ? `${e.name} ${e.message}` : String(e)
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|MaxRetriesPerRequest|Stream isn't writeable|LOADING|connect/i.test(text)
}

/**
 * A client in a scope.
 *
 * @category constructors
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
 * @category layers
 */
export const clientLayer = (options: RedisClientOptions = {}): Layer.Layer<RedisClient> => Layer.scoped(RedisClient, makeClient(options))

const storageFailure = (key: string) => (e: RedisError) => new StorageError({ key: clip(key, 200), message: e.message })

/**
 * `Storage` on the Redis client in context.
 *
 * @category constructors
 */
export const makeStorage: Effect.Effect<StorageService, never, RedisClient> = Effect.map(RedisClient, (redis): StorageService => ({
  get: (key) => Effect.mapError(Effect.map(redis.run("GET", (c) => c.get(key)), Option.fromNullable), storageFailure(key)),
  set: (key, value) => Effect.mapError(Effect.asVoid(redis.run("SET", (c) => c.set(key, value))), storageFailure(key)),
  remove: (key) => Effect.mapError(Effect.asVoid(redis.run("DEL", (c) => c.del(key))), storageFailure(key))
}))

/**
 * `Storage` on Redis, with its own client.
 *
 * @category layers
 */
export const storageLayer = (options: RedisClientOptions = {}): Layer.Layer<Storage | RedisClient> =>
  Layer.provideMerge(Layer.effect(Storage, makeStorage), clientLayer(options))
